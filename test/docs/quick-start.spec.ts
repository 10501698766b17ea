import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ReadmeApp, type RunningApp } from '../support/readme-app.js';

// The README's quick start, run as written: its four files compiled with tsc into an app that
// imports the built package, started with `node`, and used over HTTP as its reader would.
const QUICK_START = [
  'src/app.module.ts',
  'src/users.service.ts',
  'src/auth.controller.ts',
  'src/main.ts',
];
const quickStart = new ReadmeApp('quick-start');

const json = { 'content-type': 'application/json' };

beforeAll(() => quickStart.compile(ReadmeApp.readmeFilesAt(QUICK_START)), 60_000);
afterAll(() => quickStart.remove());

// The quick start keeps the default key prefix: it runs on Redis only when the Redis is the
// throwaway one the test setup started, never on a REDIS_URL someone else's data may be in.
const stores = process.env.REDIS_URL ? (['memory'] as const) : (['memory', 'redis'] as const);

describe.each(stores)("README's quick start, run as written, on %s", (store) => {
  let app: RunningApp;

  beforeAll(async () => {
    const redis = store === 'redis' ? { REDIS_URL: inject('redisUrl') } : {};
    const secret = randomBytes(32).toString('base64');
    app = await quickStart.start('src/main.js', { SESSION_SECRET: secret, ...redis });
  }, 120_000);
  afterAll(() => app?.stop());

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
    const login = (body: object) =>
      fetch(`${app.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    expect((await login({ username: 'demo', password: 'guess' })).status).toBe(401);
    expect((await login({})).status).toBe(400);
    expect(app.running).toBe(true);
  });
});
