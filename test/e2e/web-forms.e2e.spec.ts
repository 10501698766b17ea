import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  handleOf,
  login,
  SAMPLE_PLATFORMS,
  sessionCookie,
  setCookies,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';

type Store = 'redis' | 'memory';
// Every platform the sample runs on, each on both stores.
const SETUPS = SAMPLE_PLATFORMS.flatMap((platform) =>
  (['redis', 'memory'] as const).map((store): [string, Store] => [platform, store]),
);

// The sample's HTML forms, as a browser without JavaScript posts them: urlencoded bodies, an
// Origin header, 303 redirects, the cookie the only carrier of the session.
describe.each(SETUPS)("the sample's forms on %s, the %s store", (platform, store) => {
  let sample: SampleUnderTest;
  let origin: string;

  beforeAll(async () => {
    sample = await startSample({
      SAMPLE_PLATFORM: platform,
      REDIS_URL: store === 'redis' ? inject('redisUrl') : undefined,
    });
    await sample.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => sample?.close());

  /** A form post from the sample's own page. */
  const post = (path: string, form: Record<string, string> = {}, cookie?: string) => {
    const req = request(origin)
      .post(path)
      .set('Origin', origin)
      .type('form')
      .send(new URLSearchParams(form).toString());
    return cookie ? req.set('Cookie', cookie) : req;
  };
  const get = (path: string, cookie?: string) => {
    const req = request(origin).get(path);
    return cookie ? req.set('Cookie', cookie) : req;
  };
  const signedIn = async (cookie: string) => (await get('/auth/me', cookie)).status === 200;

  it('signs in with the form: 303 to /account, a new session ID, the anonymous cart carried over', async () => {
    const added = await post('/cart/add', { item: 'kettle' }).expect(303);
    expect(added.headers.location).toBe('/');
    const anonymous = sessionCookie(added);
    expect((await get('/', anonymous).expect(200)).text).toContain(
      '<span id="items">kettle</span>',
    );

    const res = await post(
      '/sign-in',
      { username: 'alice', password: 'alice-password' },
      anonymous,
    ).expect(303);
    expect(res.headers.location).toBe('/account');
    const cookie = sessionCookie(res);
    expect(cookie).not.toBe(anonymous);
    const account = await get('/account', cookie).expect(200);
    expect(account.text).toContain('<span id="user">alice</span>');
    expect(account.text).toContain('<span id="items">kettle</span>');
    expect(account.headers['cache-control']).toBe('no-store');
    expect(await signedIn(cookie)).toBe(true);
    expect(await signedIn(anonymous)).toBe(false);
  });

  it('sends a failed sign-in back to the page with a fixed message, no cookie, nothing echoed', async () => {
    const res = await post('/sign-in', { username: 'alice', password: '<b>guess</b>' }).expect(303);
    expect(res.headers.location).toBe('/?error=sign-in-failed');
    expect(setCookies(res)).toEqual([]);
    const page = await get(res.headers.location as string).expect(200);
    expect(page.text).toContain('Sign-in failed: wrong user name or password.');
    expect(page.text).not.toContain('guess');
    for (const code of ['<script>alert(1)</script>', 'constructor', '__proto__']) {
      const other = await get(`/?error=${encodeURIComponent(code)}`).expect(200);
      expect(other.text, code).toContain('<p id="error" role="alert"></p>');
      expect(other.text, code).not.toContain('<script>alert');
    }
    // What no browser sends from the page (its inputs are required and bounded) is a 400.
    await post('/sign-in', { username: 'alice' }).expect(400);
    await post('/sign-in', { username: 'alice', password: 'x', admin: 'true' }).expect(400);
  });

  it('lists the user\'s sessions on the account page, "this device" on the current one, every value escaped', async () => {
    const here = await login(sample, 'bob');
    const there = sessionCookie(
      await post('/sign-in', { username: 'bob', password: 'bob-password' })
        .set(
          'User-Agent',
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) <b>x</b> Version/17.0 Mobile/15E148 Safari/604.1',
        )
        .expect(303),
    );
    const page = (await get('/account', here).expect(200)).text;
    const rows = page.match(/<tr class="session[^"]*">[\s\S]*?<\/tr>/g) ?? [];
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const current = rows.filter((row) => row.includes('this device'));
    expect(current).toHaveLength(1);
    expect(current[0]).not.toContain('name="id"');
    const phone = rows.find((row) => row.includes(`value="${handleOf(there)}"`));
    expect(phone).toContain('Safari on iOS');
    expect(phone).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">/);
    expect(page).not.toContain('<b>x</b>');
    expect(page).toContain('<button id="revoke-others">Sign out everywhere else</button>');
  });

  it('revokes one other session by the id in the body: that cookie is signed out, this one is not', async () => {
    const mine = await login(sample);
    const other = await login(sample);
    const res = await post('/account/sessions/revoke', { id: handleOf(other) }, mine).expect(303);
    expect(res.headers.location).toBe('/account');
    expect(await signedIn(other)).toBe(false);
    expect((await get('/account', other)).status).toBe(401);
    expect(await signedIn(mine)).toBe(true);
    expect((await get('/account', mine).expect(200)).text).not.toContain(handleOf(other));
  });

  it("changes nothing for an unknown handle or another user's", async () => {
    const alice = await login(sample, 'alice');
    const bob = await login(sample, 'bob');
    for (const id of [handleOf(bob), 'x'.repeat(22), 'not a handle']) {
      await post('/account/sessions/revoke', { id }, alice).expect(303);
    }
    expect(await signedIn(bob)).toBe(true);
    expect(await signedIn(alice)).toBe(true);
  });

  it('signs out everywhere else with one form', async () => {
    const mine = await login(sample, 'bob');
    const others = [await login(sample, 'bob'), await login(sample, 'bob')];
    const res = await post('/account/sessions/revoke-others', {}, mine).expect(303);
    expect(res.headers.location).toBe('/account');
    for (const cookie of others) expect(await signedIn(cookie)).toBe(false);
    expect(await signedIn(mine)).toBe(true);
    const page = (await get('/account', mine).expect(200)).text;
    expect(page.match(/<tr class="session/g)).toHaveLength(1);
    expect(page).not.toContain('revoke-others');
  });

  it('signs out with the form: the cookie is cleared and refused when replayed', async () => {
    const cookie = await login(sample);
    const res = await post('/sign-out', {}, cookie).expect(303);
    expect(res.headers.location).toBe('/');
    expect(setCookies(res).join()).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(await signedIn(cookie)).toBe(false);
  });

  it('sends a form posted without a live session to the signed-out page, not a JSON 401', async () => {
    const revoked = await login(sample);
    await post('/sign-out', {}, revoked).expect(303);
    for (const cookie of [undefined, revoked]) {
      for (const [path, form] of [
        ['/account/sessions/revoke', { id: 'x'.repeat(22) }],
        ['/account/sessions/revoke-others', {}],
      ] as const) {
        const res = await post(path, form, cookie).expect(303);
        expect(res.headers.location).toBe('/account');
      }
    }
  });

  it('refuses every form another site makes a browser post (Origin, or Sec-Fetch-Site without it), changing nothing', async () => {
    const cookie = await login(sample, 'alice');
    const other = await login(sample, 'alice');
    const forms: [string, Record<string, string>][] = [
      ['/sign-in', { username: 'bob', password: 'bob-password' }],
      ['/cart/add', { item: 'planted' }],
      ['/account/sessions/revoke', { id: handleOf(other) }],
      ['/account/sessions/revoke-others', {}],
      ['/sign-out', {}],
    ];
    const crossSite = [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Origin: origin.replace('127.0.0.1', 'localhost') },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
    ];
    for (const [path, form] of forms) {
      for (const headers of crossSite) {
        const req = request(origin)
          .post(path)
          .type('form')
          .send(new URLSearchParams(form).toString())
          .set('Cookie', cookie)
          .set(headers);
        const res = await req;
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(setCookies(res), path).toEqual([]);
      }
    }
    expect((await get('/auth/me', cookie).expect(200)).body.user.username).toBe('alice');
    expect(await signedIn(other)).toBe(true);
    expect((await get('/cart', cookie).expect(200)).body.items).not.toContain('planted');
  });

  it('shows what a user typed as text on both pages, never as markup', async () => {
    const item = '<img src=x onerror=alert(1)>"\'&';
    const anonymous = sessionCookie(await post('/cart/add', { item }).expect(303));
    const escaped = '&#60;img src=x onerror=alert(1)&#62;&#34;&#39;&#38;';
    expect((await get('/', anonymous).expect(200)).text).toContain(escaped);
    const cookie = sessionCookie(
      await post('/sign-in', { username: 'bob', password: 'bob-password' }, anonymous).expect(303),
    );
    const account = (await get('/account', cookie).expect(200)).text;
    expect(account).toContain(escaped);
    expect(account).not.toContain('<img');
  });
});
