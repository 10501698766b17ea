import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { declaredOptions, formatDefault, type DeclaredOption } from './declared-options.js';

const lib = new URL('../../lib/', import.meta.url);
const sources = [
  ...readdirSync(new URL('options/', lib))
    .filter((file) => file.endsWith('.schema.ts'))
    .map((file) => new URL(`options/${file}`, lib)),
  new URL('session.module-definition.ts', lib),
];

// Each property of each class and interface in those files, by `Class.property`.
function declarations(): Map<string, ts.ClassElement | ts.TypeElement> {
  const found = new Map<string, ts.ClassElement | ts.TypeElement>();
  for (const url of sources) {
    const file = ts.createSourceFile(
      url.pathname,
      readFileSync(url, 'utf8'),
      ts.ScriptTarget.Latest,
      true, // parent nodes, which JSDoc lookup walks
    );
    for (const node of file.statements) {
      if (!(ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) || !node.name) continue;
      for (const member of node.members) {
        if (member.name && ts.isIdentifier(member.name))
          found.set(`${node.name.text}.${member.name.text}`, member);
      }
    }
  }
  return found;
}

function jsDocOf(member: ts.Node): { text: string; defaults: string[] } {
  const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
  return {
    text: docs.map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '').join('\n'),
    defaults: ts
      .getJSDocTags(member)
      .filter((tag) => tag.tagName.text === 'default')
      .map((tag) => ts.getTextOfJSDocComment(tag.comment) ?? ''),
  };
}

// What an option's `@default` tags must be: none when it is required, "none …" when it has no
// default, its real default (then, optionally, a note) otherwise.
function defaultProblem(option: DeclaredOption, tags: string[]): string | undefined {
  const real = option.default === undefined ? 'none' : formatDefault(option.default);
  const at = `\`${option.path}\` (${option.declaredIn})`;
  if (option.required) return tags.length > 0 ? `${at} is required but has @default` : undefined;
  if (tags.length !== 1)
    return `${at} has ${tags.length} @default tags; give one: @default ${real}`;
  const tag = tags[0]!;
  if (tag === real || tag.startsWith(`${real} `)) return undefined;
  return `${at} says @default ${tag}, but its default is ${real}`;
}

describe('the schema of each option', () => {
  it('documents every option with JSDoc, and tags each @default with the real default', () => {
    const members = declarations();
    const problems = declaredOptions().flatMap((option) => {
      const member = members.get(`${option.declaredIn}.${option.property}`);
      if (!member) return [`\`${option.path}\`: no declaration of ${option.declaredIn} found`];
      const { text, defaults } = jsDocOf(member);
      if (text.trim() === '') return [`\`${option.path}\` (${option.declaredIn}) has no JSDoc`];
      // A nested object's fields carry the defaults.
      if (option.nested) return [];
      return [defaultProblem(option, defaults)].filter((p) => p !== undefined);
    });
    expect(problems).toEqual([]);
  });
});
