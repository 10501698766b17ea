import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { declaredOptions, formatDefault } from '../options/declared-options.js';

const DOC = 'docs/options.md';
const options = declaredOptions();

// Each option is a heading that is only its path in backticks (`### \`cookie.sameSite\``); its
// entry runs to the next heading.
function documentedOptions(): Map<string, string[]> {
  const markdown = readFileSync(new URL(`../../${DOC}`, import.meta.url), 'utf8');
  const entries = new Map<string, string[]>();
  for (const section of markdown.split(/^(?=#{1,6} )/m)) {
    const [heading = '', ...body] = section.split('\n');
    const path = /^#{1,6} `([^`]+)`$/.exec(heading.trim())?.[1];
    if (path) entries.set(path, [...(entries.get(path) ?? []), body.join('\n')]);
  }
  return entries;
}

// What the entry's `- Default:` / `- Required` line must say for this default.
function expectedDefaultLine(option: (typeof options)[number]): RegExp {
  if (option.required) return /^- Required$/m;
  if (option.default === undefined) return /^- Default: none\b/m;
  const literal = formatDefault(option.default).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^- Default: \`${literal}\`(?: |$)`, 'm');
}

describe('docs/options.md', () => {
  const documented = documentedOptions();

  it('documents every option the schemas declare, once, and no option they do not', () => {
    const declared = options.map((o) => o.path);
    expect({
      undocumented: declared.filter((path) => !documented.has(path)),
      notAnOption: [...documented.keys()].filter((path) => !declared.includes(path)),
      documentedTwice: [...documented].filter(([, entries]) => entries.length > 1).map(([p]) => p),
    }).toEqual({ undocumented: [], notAnOption: [], documentedTwice: [] });
  });

  it('gives every option a type, and the default it really has (or says it is required)', () => {
    const wrong = options.flatMap((option) => {
      const entry = documented.get(option.path)?.[0];
      if (entry === undefined) return [];
      const problems: string[] = [];
      if (!/^- Type: \S/m.test(entry)) problems.push(`\`${option.path}\` has no "- Type:" line`);
      if (option.nested) return problems;
      if (!expectedDefaultLine(option).test(entry)) {
        const said = /^- (Default: .*|Required.*)$/m.exec(entry)?.[1] ?? 'nothing';
        const real = option.required
          ? 'required'
          : option.default === undefined
            ? 'none'
            : `\`${formatDefault(option.default)}\``;
        problems.push(`\`${option.path}\`: the doc says "${said}", the code's default is ${real}`);
      }
      return problems;
    });
    expect(wrong).toEqual([]);
  });
});
