import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Loads the built package (`npm test` builds first) the way an app would, from outside the repo.
const root = resolve(import.meta.dirname, '..');
const probe =
  'typeof m.SessionModule.forRootAsync + " " + typeof m.SessionService + " " + typeof m.Session';

describe('the built package', () => {
  let app: string;

  beforeAll(() => {
    if (!existsSync(join(root, 'dist/lib/index.js')))
      throw new Error('dist/ is missing: run `npm run build` first');
    app = mkdtempSync(join(tmpdir(), 'nss-consumer-'));
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(root, join(app, 'node_modules/nestjs-secure-session'), 'dir');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', type: 'commonjs' }),
    );
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const run = (args: string[]) =>
    execFileSync(process.execPath, ['--no-warnings', ...args], {
      cwd: app,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();

  it('loads with require() from a CommonJS app (a `nest new` app)', () => {
    writeFileSync(
      join(app, 'main.js'),
      `const m = require('nestjs-secure-session');\nconsole.log(${probe});\n`,
    );
    expect(run(['main.js'])).toBe('function function function');
  });

  it('loads with import from an ES module app', () => {
    writeFileSync(
      join(app, 'main.mjs'),
      `import * as m from 'nestjs-secure-session';\nconsole.log(${probe});\n`,
    );
    expect(run(['main.mjs'])).toBe('function function function');
  });

  it('ships type declarations where its exports map points', () => {
    expect(existsSync(join(root, 'dist/lib/index.d.ts'))).toBe(true);
  });

  it('refuses deep imports, so only the public API is reachable', () => {
    writeFileSync(
      join(app, 'deep.mjs'),
      `import 'nestjs-secure-session/dist/lib/session.service.js';\n`,
    );
    expect(() => run(['deep.mjs'])).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
