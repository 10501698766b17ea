import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/redis-server.js';
import { markdownDocs, ROOT, typescriptBlocks } from '../support/markdown-docs.js';

// The README's quick start, run as written: its four files compiled with tsc into an app that
// imports the built package, started with `node`, and used over HTTP as its reader would.
const QUICK_START = [
  'src/app.module.ts',
  'src/users.service.ts',
  'src/auth.controller.ts',
  'src/main.ts',
];
const APP = join(ROOT, '.doc-snippets', `quick-start-${process.pid}`);

function compileQuickStart(): void {
  const readme = markdownDocs().find((doc) => doc.path === 'README.md')!;
  const files = new Map<string, string>();
  for (const { code } of typescriptBlocks(readme)) {
    const path = /^\/\/ (src\/[\w./-]+\.ts)\n/.exec(code)?.[1];
    if (path && QUICK_START.includes(path) && !files.has(path)) files.set(path, code);
  }
  expect([...files.keys()].sort()).toEqual([...QUICK_START].sort());
  for (const [path, code] of files) {
    mkdirSync(join(APP, 'src'), { recursive: true });
    writeFileSync(join(APP, path), code);
  }
  const program = ts.createProgram(
    QUICK_START.map((path) => join(APP, path)),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node'],
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: true,
      outDir: join(APP, 'dist'),
      rootDir: APP,
    },
  );
  const { diagnostics } = program.emit();
  expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
}

interface RunningApp {
  url: string;
  process: ChildProcess;
  output: () => string;
}

async function startQuickStart(env: Record<string, string | undefined>): Promise<RunningApp> {
  const port = await freePort();
  // `timeout` stops the app by itself should this test die before afterAll.
  const child = spawn('timeout', ['300', process.execPath, join(APP, 'dist/src/main.js')], {
    env: { ...process.env, NODE_ENV: 'development', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 150; tries++) {
    if (child.exitCode !== null) throw new Error(`the quick start exited:\n${output}`);
    const answered = await fetch(`${url}/auth/me`).then(
      () => true,
      () => false,
    );
    if (answered) return { url, process: child, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`the quick start did not answer:\n${output}`);
}

const json = { 'content-type': 'application/json' };

beforeAll(compileQuickStart, 60_000);
afterAll(() => rmSync(APP, { recursive: true, force: true }));

// The quick start keeps the default key prefix: it runs on Redis only when the Redis is the
// throwaway one the test setup started, never on a REDIS_URL someone else's data may be in.
const stores = process.env.REDIS_URL ? (['memory'] as const) : (['memory', 'redis'] as const);

describe.each(stores)("README's quick start, run as written, on %s", (store) => {
  let app: RunningApp;

  beforeAll(async () => {
    const redis = store === 'redis' ? { REDIS_URL: inject('redisUrl') } : {};
    app = await startQuickStart({ SESSION_SECRET: randomBytes(32).toString('base64'), ...redis });
  }, 120_000);

  afterAll(async () => {
    if (app && app.process.exitCode === null) {
      const exited = new Promise((resolve) => app.process.once('exit', resolve));
      app.process.kill('SIGTERM');
      await exited;
    }
  });

  it('logs in, lists, logs out, and refuses the old cookie and a cross-site login', async () => {
    expect((await fetch(`${app.url}/auth/me`)).status).toBe(401);

    const credentials = JSON.stringify({ username: 'demo', password: 'demo-password' });
    const crossSite = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { ...json, origin: 'https://evil.example' },
      body: credentials,
    });
    expect(crossSite.status).toBe(403);

    const login = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: json,
      body: credentials,
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sid=s%3A[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const cookie = setCookie.split(';')[0]!;

    const me = await fetch(`${app.url}/auth/me`, { headers: { cookie } });
    expect(await me.json()).toEqual({ user: { id: '1', username: 'demo' } });
    const sessions = await fetch(`${app.url}/auth/sessions`, { headers: { cookie } });
    expect(await sessions.json()).toMatchObject([{ current: true }]);

    const logout = await fetch(`${app.url}/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(204);
    expect((await fetch(`${app.url}/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('refuses a wrong password and a malformed body, and keeps running', async () => {
    const wrong = JSON.stringify({ username: 'demo', password: 'guess' });
    expect(
      (await fetch(`${app.url}/auth/login`, { method: 'POST', headers: json, body: wrong })).status,
    ).toBe(401);
    expect(
      (await fetch(`${app.url}/auth/login`, { method: 'POST', headers: json, body: '{}' })).status,
    ).toBe(400);
    expect(app.process.exitCode).toBeNull();
  });
});
