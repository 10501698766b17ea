import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, markdownDocs, ROOT, type MarkdownDoc } from '../support/markdown-docs.js';

const docs = markdownDocs();
const anchorsByPath = new Map(docs.map((doc) => [doc.path, headingAnchors(doc)]));

/** Relative links, `[text](target)`, outside code blocks. */
function links(doc: MarkdownDoc): string[] {
  const prose = doc.text.replace(/^```[\s\S]*?^```$/gm, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z]+:/.test(target));
}

/** Repository paths quoted in backticks, such as `lib/engine/session-handler.ts` or `test/e2e/`. */
function quotedPaths(doc: MarkdownDoc): string[] {
  const paths = [...doc.text.matchAll(/`((?:lib|test|sample|bench|docs|\.ci)\/[\w./-]*)`/g)];
  return paths.map((match) => match[1]!);
}

/** docs/security.md names tests relative to test/ without their suffix: `security/b-cookies`. */
function requirementTests(doc: MarkdownDoc): string[] {
  const requirements = doc.text.matchAll(/^- \*\*\d+\..*$/gm);
  return [...requirements].flatMap((line) =>
    [...line[0].matchAll(/`([\w./-]+)`/g)]
      .map((match) => match[1]!)
      .filter(
        (name) =>
          /^[a-z][\w-]*(?:[./][\w-]+)+$|^[a-z]+-[a-z-]+$/.test(name) && !name.endsWith('.ts'),
      ),
  );
}

const TEST_SUFFIXES = ['.spec.ts', '.e2e.spec.ts', '.security.spec.ts'];

describe('paths and links in README.md and docs/', () => {
  it.each(docs.map((doc) => [doc.path, doc] as const))('%s links to what exists', (_, doc) => {
    const broken = links(doc).filter((target) => {
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const path = file ? normalize(join(dirname(doc.path), file)) : doc.path;
      if (!existsSync(join(ROOT, path))) return true;
      if (anchor === undefined || !path.endsWith('.md')) return false;
      return !anchorsByPath.get(path)?.has(anchor);
    });
    expect(broken).toEqual([]);
  });

  it.each(docs.map((doc) => [doc.path, doc] as const))('%s cites paths that exist', (_, doc) => {
    const missing = quotedPaths(doc).filter((path) => !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });

  it("docs/security.md's requirement table names tests that exist", () => {
    const security = docs.find((doc) => doc.path === 'docs/security.md')!;
    const names = requirementTests(security);
    expect(names.length).toBeGreaterThan(30);
    const missing = names.filter(
      (name) => !TEST_SUFFIXES.some((suffix) => existsSync(join(ROOT, 'test', name + suffix))),
    );
    expect(missing).toEqual([]);
  });

  it('docs/sample.md lists every environment variable the sample reads, and no other', () => {
    const config = readFileSync(join(ROOT, 'sample/config/sample-config.ts'), 'utf8');
    const read = new Set(
      [...config.matchAll(/env(?:\.|, ')([A-Z][A-Z_]+)/g)].map((match) => match[1]!),
    );
    const sample = docs.find((doc) => doc.path === 'docs/sample.md')!;
    const documented = new Set(
      [...sample.text.matchAll(/^\| `([A-Z][A-Z_]+)`/gm)].map((match) => match[1]!),
    );
    expect(read.size).toBeGreaterThan(10);
    expect([...documented].sort()).toEqual([...read].sort());
  });
});
