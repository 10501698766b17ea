import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, ROOT } from '../support/markdown-docs.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('stays a front door: under 25 KB, the depth in docs/', () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(25 * 1024);
  });

  it('has a table of contents that reaches every section', () => {
    const contents = /^## Contents\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    const linked = new Set([...contents.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]));
    const sections = headingAnchors({ path: 'README.md', text: readme.replace(/^# .*$/m, '') });
    const unlisted = [...sections].filter(
      (anchor) => anchor !== 'contents' && anchor !== 'license' && !linked.has(anchor),
    );
    expect(sections.size).toBeGreaterThan(10);
    expect(unlisted).toEqual([]);
  });

  it('keeps the two commands: run the sample, run every test', () => {
    expect(readme).toContain('npm install && npm run sample');
    expect(readme).toContain('npm install && npm test');
  });
});
