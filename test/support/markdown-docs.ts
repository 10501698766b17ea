import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');

/** A markdown file users read: README.md and everything under docs/. */
export interface MarkdownDoc {
  /** Relative to the repository, e.g. `docs/redis.md`. */
  path: string;
  text: string;
}

export function markdownDocs(): MarkdownDoc[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name));
  return [join(ROOT, 'README.md'), ...docs].map((file) => ({
    path: relative(ROOT, file),
    text: readFileSync(file, 'utf8'),
  }));
}

/** A fenced ```ts block, with the line of the doc it starts on. */
export interface CodeBlock {
  doc: string;
  line: number;
  code: string;
}

export function typescriptBlocks(doc: MarkdownDoc): CodeBlock[] {
  return [...doc.text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => ({
    doc: doc.path,
    line: doc.text.slice(0, match.index).split('\n').length + 1,
    code: match[1]!,
  }));
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function headingAnchors(doc: MarkdownDoc): Set<string> {
  const outsideCode = doc.text.replace(/^```[\s\S]*?^```$/gm, '');
  return new Set(
    [...outsideCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => headingAnchor(match[1]!)),
  );
}
