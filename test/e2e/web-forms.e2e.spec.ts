import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Response } from 'supertest';
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
// Origin header, the CSRF token of the page they are on, 303 redirects, the cookie the only
// carrier of the session.
/** The session cookie a browser holds after this response: the one it set, none if it cleared it. */
function heldAfter(res: Response, held: string | undefined): string | undefined {
  const set = setCookies(res).find((cookie) => /^(__Host-)?sid=/.test(cookie));
  if (!set) return held;
  return /^[^=]+=;/.test(set) ? undefined : set.split(';')[0];
}

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
  /**
   * Loads a page as a browser does (the page, then its stylesheet and scripts): the cookie it
   * then holds, and the CSRF token in the page's forms.
   */
  const open = async (path: string, cookie?: string) => {
    const res = await get(path, cookie).expect(200);
    let held = heldAfter(res, cookie);
    for (const [, asset] of res.text.matchAll(
      /<(?:link rel="stylesheet" href|script src)="([^"]+)"/g,
    ))
      held = heldAfter(await get(asset!, held), held);
    const token = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(res.text)?.[1];
    expect(token, `the CSRF token of ${path}`).toBeDefined();
    return { cookie: held, token: token! };
  };
  /** Submits a form of the page at `page`, as a browser does: loads the page, posts with its token. */
  const submit = async (
    page: string,
    path: string,
    form: Record<string, string> = {},
    cookie?: string,
  ): Promise<Response> => {
    const loaded = await open(page, cookie);
    return post(path, { ...form, _csrf: loaded.token }, loaded.cookie);
  };

  it('signs in with the form: 303 to /account, a new session ID, the anonymous cart carried over', async () => {
    const added = await submit('/', '/cart/add', { item: 'kettle' });
    expect(added.status).toBe(303);
    expect(added.headers.location).toBe('/');
    const anonymous = sessionCookie(added);
    expect((await get('/', anonymous).expect(200)).text).toContain(
      '<span id="items">kettle</span>',
    );

    const res = await submit(
      '/',
      '/sign-in',
      { username: 'alice', password: 'alice-password' },
      anonymous,
    );
    expect(res.status).toBe(303);
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

  it('sends a failed sign-in back to the page with a fixed message, no session, nothing echoed', async () => {
    const res = await submit('/', '/sign-in', { username: 'alice', password: '<b>guess</b>' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/?error=sign-in-failed');
    // No session is issued (the page's anonymous cookie may at most be cleared).
    expect(setCookies(res).filter((cookie) => !/^sid=;/.test(cookie))).toEqual([]);
    const page = await get(res.headers.location as string).expect(200);
    expect(page.text).toContain('Sign-in failed: wrong user name or password.');
    expect(page.text).not.toContain('guess');
    for (const code of ['<script>alert(1)</script>', 'constructor', '__proto__']) {
      const other = await get(`/?error=${encodeURIComponent(code)}`).expect(200);
      expect(other.text, code).toContain('<p id="error" role="alert"></p>');
      expect(other.text, code).not.toContain('<script>alert');
    }
    // What no browser sends from the page (its inputs are required and bounded) is a 400.
    expect((await submit('/', '/sign-in', { username: 'alice' })).status).toBe(400);
    const extra = { username: 'alice', password: 'x', admin: 'true' };
    expect((await submit('/', '/sign-in', extra)).status).toBe(400);
  });

  it('lists the user\'s sessions on the account page, "this device" on the current one, every value escaped', async () => {
    const here = await login(sample, 'bob');
    const signInPage = await open('/');
    const there = sessionCookie(
      await post(
        '/sign-in',
        { username: 'bob', password: 'bob-password', _csrf: signInPage.token },
        signInPage.cookie,
      )
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
    const res = await submit('/account', '/account/sessions/revoke', { id: handleOf(other) }, mine);
    expect(res.status).toBe(303);
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
      expect((await submit('/account', '/account/sessions/revoke', { id }, alice)).status).toBe(
        303,
      );
    }
    expect(await signedIn(bob)).toBe(true);
    expect(await signedIn(alice)).toBe(true);
  });

  it('signs out everywhere else with one form', async () => {
    const mine = await login(sample, 'bob');
    const others = [await login(sample, 'bob'), await login(sample, 'bob')];
    const res = await submit('/account', '/account/sessions/revoke-others', {}, mine);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    for (const cookie of others) expect(await signedIn(cookie)).toBe(false);
    expect(await signedIn(mine)).toBe(true);
    const page = (await get('/account', mine).expect(200)).text;
    expect(page.match(/<tr class="session/g)).toHaveLength(1);
    expect(page).not.toContain('revoke-others');
  });

  it('signs out with the form: the cookie is cleared and refused when replayed', async () => {
    const cookie = await login(sample);
    const res = await submit('/account', '/sign-out', {}, cookie);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(setCookies(res).join()).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(await signedIn(cookie)).toBe(false);
  });

  it('sends a form posted without a live session to the signed-out page, not a JSON 401', async () => {
    // A page left open: its session then signed out (the token no longer counts), or its cookie gone.
    const revoked = await login(sample);
    const { token } = await open('/account', revoked);
    expect((await submit('/account', '/sign-out', {}, revoked)).status).toBe(303);
    for (const cookie of [undefined, revoked]) {
      for (const [path, form] of [
        ['/account/sessions/revoke', { id: 'x'.repeat(22) }],
        ['/account/sessions/revoke-others', {}],
        ['/account/email', { email: 'a@example.com' }],
        ['/account/confirm-password', { password: 'alice-password' }],
      ] as const) {
        const res = await post(path, { ...form, _csrf: token }, cookie).expect(303);
        expect(res.headers.location).toBe('/account');
      }
    }
  });

  it('refuses every form another site makes a browser post (Origin, or Sec-Fetch-Site without it), changing nothing', async () => {
    const cookie = await login(sample, 'alice');
    const other = await login(sample, 'alice');
    // The attacker cannot read the victim's token; even with it, the post is another site's.
    const { token } = await open('/account', cookie);
    const forms: [string, Record<string, string>][] = [
      ['/sign-in', { username: 'bob', password: 'bob-password' }],
      ['/cart/add', { item: 'planted' }],
      ['/account/sessions/revoke', { id: handleOf(other) }],
      ['/account/sessions/revoke-others', {}],
      ['/sign-out', {}],
      ['/account/email', { email: 'planted@example.com' }],
      ['/account/confirm-password', { password: 'alice-password' }],
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
          .send(new URLSearchParams({ ...form, _csrf: token }).toString())
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
    expect((await get('/account', cookie).expect(200)).text).not.toContain('planted@example.com');
  });

  it('shows what a user typed as text on both pages, never as markup', async () => {
    const item = '<img src=x onerror=alert(1)>"\'&';
    const anonymous = sessionCookie(await submit('/', '/cart/add', { item }));
    const escaped = '&#60;img src=x onerror=alert(1)&#62;&#34;&#39;&#38;';
    expect((await get('/', anonymous).expect(200)).text).toContain(escaped);
    const cookie = sessionCookie(
      await submit('/', '/sign-in', { username: 'bob', password: 'bob-password' }, anonymous),
    );
    const account = (await get('/account', cookie).expect(200)).text;
    expect(account).toContain(escaped);
    expect(account).not.toContain('<img');
  });
});
