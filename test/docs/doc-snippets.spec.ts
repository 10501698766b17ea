import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownDocs, ROOT, typescriptBlocks, type CodeBlock } from '../support/markdown-docs.js';

// Every TypeScript block of README.md and docs/ is type-checked as a file of one app, against the
// built package (`nestjs-secure-session` resolves through package.json's exports to dist/lib, as
// it does for an installed copy). A block whose first line names a file (`// src/main.ts`) is
// that file, so the quick start's files import each other; a later block naming the same file
// (Passport's main.ts) is checked as a variant of the app with that file replaced.
const APP = join(ROOT, '.doc-snippets', String(process.pid));

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  noEmit: true,
};

interface SnippetFile {
  path: string;
  block: CodeBlock;
}

function fileOf(block: CodeBlock, index: number): SnippetFile {
  const named = /^\/\/ (src\/[\w./-]+\.ts)\b/.exec(block.code)?.[1];
  const unnamed = `src/${block.doc.replace(/\W/g, '-')}-${index}.ts`;
  return { path: named ?? unnamed, block };
}

/** The app every first occurrence makes up, and one variant per block that names a file again. */
function apps(files: SnippetFile[]): Map<string, SnippetFile>[] {
  const base = new Map<string, SnippetFile>();
  const variants: Map<string, SnippetFile>[] = [];
  for (const file of files) {
    if (!base.has(file.path)) base.set(file.path, file);
    else variants.push(new Map(base).set(file.path, file));
  }
  return [base, ...variants];
}

function typeErrors(app: Map<string, SnippetFile>): string[] {
  rmSync(APP, { recursive: true, force: true });
  for (const { path, block } of app.values()) {
    mkdirSync(dirname(join(APP, path)), { recursive: true });
    writeFileSync(join(APP, path), block.code);
  }
  const program = ts.createProgram(
    [...app.keys()].map((path) => join(APP, path)),
    COMPILER_OPTIONS,
  );
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file) return message;
    const path = diagnostic.file.fileName.slice(APP.length + 1);
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const block = app.get(path)?.block;
    return block ? `${block.doc}:${block.line + line}: ${message}` : `${path}: ${message}`;
  });
}

describe('TypeScript in README.md and docs/', () => {
  afterAll(() => rmSync(join(ROOT, '.doc-snippets'), { recursive: true, force: true }));

  const files = markdownDocs()
    .flatMap(typescriptBlocks)
    .map((block, index) => fileOf(block, index));

  it('has the quick start as complete files', () => {
    const paths = files.filter((file) => file.block.doc === 'README.md').map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'src/app.module.ts',
        'src/auth.controller.ts',
        'src/users.service.ts',
        'src/main.ts',
      ]),
    );
  });

  it('compiles, every block, against the built package', { timeout: 120_000 }, () => {
    for (const app of apps(files)) expect(typeErrors(app)).toEqual([]);
  });
});
