import type { AddressInfo } from 'node:net';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import type { Response } from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionService } from 'nestjs-secure-session';
import { DEFAULT_RECENT_LOGIN_MS, loadSampleConfig } from '../../sample/config/sample-config.js';
import {
  SAMPLE_PLATFORMS,
  handleOf,
  login,
  sessionCookie,
  sessionIdOf,
  setCookies,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';
import { openSocketIo, socketIoClosed } from '../support/websocket-clients.js';

/** The recent-login window the sample runs with here: short, so a session goes stale quickly. */
const RECENT_MS = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const REAUTHENTICATION_REQUIRED = {
  statusCode: 403,
  error: 'Forbidden',
  code: 'REAUTHENTICATION_REQUIRED',
  message: expect.any(String),
  maxAge: RECENT_MS,
};
const CSRF_TOKEN_INVALID = {
  statusCode: 403,
  error: 'Forbidden',
  code: 'CSRF_TOKEN_INVALID',
  message: expect.any(String),
};

/** A form of a page: how and where it posts, its hidden fields, its other inputs. */
interface PageForm {
  method: string;
  action: string;
  hidden: Record<string, string>;
  inputs: string[];
  /** How many `_csrf` fields it has. */
  tokens: number;
}

const unescape = (text: string) =>
  text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

/** Every form of an HTML page, as a browser sees it. */
function formsOf(html: string): PageForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map(([, attributes, body]) => {
    const hidden = [...body!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
      ([, name, value]) => [name!, unescape(value!)] as const,
    );
    return {
      method: /\smethod="([^"]*)"/.exec(attributes!)?.[1] ?? 'get',
      action: unescape(/\saction="([^"]*)"/.exec(attributes!)![1]!),
      hidden: Object.fromEntries(hidden),
      inputs: [...body!.matchAll(/<input name="([^"]+)"/g)].map(([, name]) => name!),
      tokens: hidden.filter(([name]) => name === '_csrf').length,
    };
  });
}

/** The same-origin stylesheets and scripts a page loads. */
const assetsOf = (html: string): string[] =>
  [...html.matchAll(/<(?:link rel="stylesheet" href|script src)="(\/[^"]*)"/g)].map(
    ([, path]) => path!,
  );

/** The session cookie a browser holds after this response: the one it set, none if it cleared it. */
function heldAfter(res: Response, held: string | undefined): string | undefined {
  const set = setCookies(res).find((cookie) => /^(__Host-)?sid=/.test(cookie));
  if (!set) return held;
  return /^[^=]+=;/.test(set) ? undefined : set.split(';')[0];
}

/** The CSRF token a page put in its forms. */
function tokenOf(html: string): string {
  const token = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(html)?.[1];
  if (!token) throw new Error(`No CSRF token in the page:\n${html}`);
  return unescape(token);
}

/** What a user types into each visible input of the sample's forms. */
const typedBy = (username: string): Record<string, string> => ({
  item: 'teapot',
  username,
  password: `${username}-password`,
  email: `${username}.typed@example.com`,
});

// ASVS 7.5.1 / 7.2.4 and the CSRF synchronizer token (issue 20) in the sample, over every
// transport a sensitive action can come through: JSON, the pages' forms, GraphQL and socket.io.
describe.each(SAMPLE_PLATFORMS)('sensitive actions in the sample, on Redis (%s)', (platform) => {
  let sample: SampleUnderTest;
  let origin: string;
  /** Sessions of alice logged in before the tests, by now older than the window. */
  const stale: string[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    sample = await startSample({
      SAMPLE_PLATFORM: platform,
      REDIS_URL: inject('redisUrl'),
      SESSION_RECENT_LOGIN_MS: String(RECENT_MS),
    });
    await sample.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(sample.app.getHttpServer().address() as AddressInfo).port}`;
    for (let i = 0; i < 8; i++) stale.push(await login(sample, 'alice'));
    await sleep(RECENT_MS + 100);
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  afterAll(() => sample?.close());

  const staleSession = () => {
    const cookie = stale.pop();
    if (!cookie) throw new Error('Out of stale sessions: log in more of them in beforeAll');
    return cookie;
  };
  const get = (path: string, cookie?: string) => {
    const req = request(origin).get(path);
    return cookie ? req.set('Cookie', cookie) : req;
  };
  const json = (path: string, body: object, cookie?: string) => {
    const req = request(origin).post(path).send(body);
    return cookie ? req.set('Cookie', cookie) : req;
  };
  /** A form post from one of the sample's pages, as a browser sends it. */
  const post = (path: string, form: Record<string, string>, cookie?: string) => {
    const req = request(origin)
      .post(path)
      .set('Origin', origin)
      .type('form')
      .send(new URLSearchParams(form).toString());
    return cookie ? req.set('Cookie', cookie) : req;
  };
  /**
   * Loads a page as a browser does: the page, then its stylesheet and scripts with the cookie it
   * then holds; what it resolves is the cookie the browser holds after all of them (none, if one
   * cleared it), the page, and the CSRF token of its forms.
   */
  const load = async (path: string, cookie?: string) => {
    const res = await get(path, cookie).expect(200);
    let held = heldAfter(res, cookie);
    for (const asset of assetsOf(res.text)) held = heldAfter(await get(asset, held), held);
    return { html: res.text, cookie: held, token: tokenOf(res.text) };
  };
  const reauthenticate = async (cookie: string) => {
    const res = await json('/auth/reauthenticate', { password: 'alice-password' }, cookie);
    expect(res.status).toBe(204);
    return sessionCookie(res);
  };
  const emailOfPage = async (cookie: string) =>
    /<span id="email">([^<]*)<\/span>/.exec((await load('/account', cookie)).html)?.[1];
  const signedIn = async (cookie: string) => (await get('/auth/me', cookie)).status === 200;
  const socketOf = async (cookie: string) => {
    const socket = await openSocketIo(`${origin}/realtime`, { cookie });
    sockets.push(socket);
    return socket;
  };
  const graphql = (query: string, variables: object, cookie: string) =>
    request(origin).post('/graphql').set('Cookie', cookie).send({ query, variables });

  describe('a recent login, for changing the email', () => {
    it('lets a session that just logged in change the email over JSON', async () => {
      const cookie = await login(sample, 'alice');
      const res = await json('/auth/email', { email: 'fresh@example.com' }, cookie).expect(200);
      expect(res.body).toEqual({ email: 'fresh@example.com' });
      expect(await emailOfPage(cookie)).toBe('fresh@example.com');
    });

    it('refuses a stale session (403 REAUTHENTICATION_REQUIRED) and lets it through right after the password is confirmed', async () => {
      const cookie = staleSession();
      const before = (await get('/auth/me', cookie).expect(200)).body.session;
      const refused = await json('/auth/email', { email: 'stale@example.com' }, cookie);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual(REAUTHENTICATION_REQUIRED);
      expect(await emailOfPage(cookie)).not.toBe('stale@example.com');

      const renewed = await reauthenticate(cookie);
      const res = await json('/auth/email', { email: 'stale@example.com' }, renewed).expect(200);
      expect(res.body).toEqual({ email: 'stale@example.com' });
      expect(await emailOfPage(renewed)).toBe('stale@example.com');

      // A new session ID (ASVS 7.2.4): the cookie from before is refused everywhere.
      expect(sessionIdOf(renewed)).not.toBe(sessionIdOf(cookie));
      await get('/auth/me', cookie).expect(401);
      await json('/auth/email', { email: 'old@example.com' }, cookie).expect(401);
      expect(await emailOfPage(renewed)).toBe('stale@example.com');
      // The same login, proven again: the user and its creation kept, authenticatedAt now.
      const after = (await get('/auth/me', renewed).expect(200)).body;
      expect(after.user).toEqual({ id: '1', username: 'alice' });
      expect(after.session.id).toBe(handleOf(renewed));
      expect(after.session.createdAt).toBe(before.createdAt);
      expect(after.session.authenticatedAt).toBeGreaterThan(before.authenticatedAt);
      const listed = (await get('/auth/sessions', renewed).expect(200)).body as { id: string }[];
      expect(listed.map((s) => s.id)).toContain(handleOf(renewed));
      expect(listed.map((s) => s.id)).not.toContain(handleOf(cookie));
    });

    it('keeps the session data (the cart) across re-authentication', async () => {
      const anonymous = sessionCookie(await json('/cart', { item: 'kettle' }).expect(200));
      const cookie = await login(sample, 'alice', anonymous);
      await json('/cart', { item: 'mug' }, cookie).expect(200);
      const renewed = await reauthenticate(cookie);
      await get('/cart', renewed).expect(200, { items: ['kettle', 'mug'] });
    });

    it('refuses a wrong password with 401, leaving the session as it was: same ID, still stale', async () => {
      const cookie = staleSession();
      for (const password of ['bob-password', 'alice-password ', 'x']) {
        const res = await json('/auth/reauthenticate', { password }, cookie);
        expect(res.status, password).toBe(401);
        expect(setCookies(res), password).toEqual([]);
      }
      await json('/auth/reauthenticate', {}, cookie).expect(400);
      await json(
        '/auth/reauthenticate',
        { password: 'alice-password', admin: true },
        cookie,
      ).expect(400);
      expect(await signedIn(cookie)).toBe(true);
      await json('/auth/email', { email: 'wrong@example.com' }, cookie).expect(403);
    });

    it('answers 401 without a login, and 400 for an address that is not one', async () => {
      await json('/auth/reauthenticate', { password: 'alice-password' }).expect(401);
      await json('/auth/email', { email: 'nobody@example.com' }).expect(401);
      const anonymous = sessionCookie(await json('/cart', { item: 'x' }).expect(200));
      await json('/auth/reauthenticate', { password: 'alice-password' }, anonymous).expect(401);
      await json('/auth/email', { email: 'nobody@example.com' }, anonymous).expect(401);
      const cookie = await login(sample, 'alice');
      for (const email of ['not-an-email', '<b>@example.com', `${'a'.repeat(250)}@example.com`]) {
        await json('/auth/email', { email }, cookie).expect(400);
      }
      await json('/auth/email', { email: ['a@example.com'] }, cookie).expect(400);
    });

    it('sends a stale form to "Confirm your password", which re-authenticates and goes back to the account page', async () => {
      const cookie = staleSession();
      const account = await load('/account', cookie);
      const refused = await post(
        '/account/email',
        { email: 'form@example.com', _csrf: account.token },
        cookie,
      ).expect(303);
      expect(refused.headers.location).toBe('/account/confirm-password');
      expect(setCookies(refused)).toEqual([]);

      const confirm = await load('/account/confirm-password', cookie);
      expect(confirm.html).toContain('<h1>Confirm your password</h1>');
      expect(confirm.html).toContain('<strong id="user">alice</strong>');
      const wrong = await post(
        '/account/confirm-password',
        { password: '<b>guess</b>', _csrf: confirm.token },
        cookie,
      ).expect(303);
      expect(wrong.headers.location).toBe('/account/confirm-password?error=confirm-failed');
      expect(setCookies(wrong)).toEqual([]);
      const again = await load(wrong.headers.location as string, cookie);
      expect(again.html).toContain('<p id="error" role="alert">Wrong password: try again.</p>');
      expect(again.html).not.toContain('guess');

      const confirmed = await post(
        '/account/confirm-password',
        { password: 'alice-password', _csrf: again.token },
        cookie,
      ).expect(303);
      expect(confirmed.headers.location).toBe('/account');
      const renewed = sessionCookie(confirmed);
      expect(sessionIdOf(renewed)).not.toBe(sessionIdOf(cookie));
      expect((await get('/account', cookie)).status).toBe(401);

      const page = await load('/account', renewed);
      const changed = await post(
        '/account/email',
        { email: 'form@example.com', _csrf: page.token },
        renewed,
      ).expect(303);
      expect(changed.headers.location).toBe('/account');
      expect(await emailOfPage(renewed)).toBe('form@example.com');
    });

    it('sends an address that is not one back to the account page with a fixed message, nothing echoed', async () => {
      const cookie = await login(sample, 'alice');
      const before = await emailOfPage(cookie);
      const { token } = await load('/account', cookie);
      for (const email of ['<img src=x>', 'not-an-email', '']) {
        const res = await post('/account/email', { email, _csrf: token }, cookie).expect(303);
        expect(res.headers.location, email).toBe('/account?error=email-invalid');
      }
      const page = (await load('/account?error=email-invalid', cookie)).html;
      expect(page).toContain('That is not an email address: nothing was changed.');
      expect(page).not.toContain('<img');
      expect(await emailOfPage(cookie)).toBe(before);
      // Signed out, the form goes to the signed-out page, as the other account forms do.
      const res = await post('/account/email', { email: 'a@example.com', _csrf: token }).expect(
        303,
      );
      expect(res.headers.location).toBe('/account');
      expect((await get('/account/confirm-password')).status).toBe(401);
    });

    it('refuses a stale session the changeEmail mutation with extensions.code REAUTHENTICATION_REQUIRED (HTTP 403), and runs it right after reauthenticate', async () => {
      const CHANGE = 'mutation Change($email: String!) { changeEmail(email: $email) }';
      const REAUTHENTICATE =
        'mutation Confirm($password: String!) { reauthenticate(password: $password) }';
      const cookie = staleSession();
      const refused = await graphql(CHANGE, { email: 'gql@example.com' }, cookie).expect(403);
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors).toEqual([
        expect.objectContaining({
          message: expect.any(String),
          extensions: expect.objectContaining({ code: 'REAUTHENTICATION_REQUIRED' }),
        }),
      ]);

      const wrong = await graphql(REAUTHENTICATE, { password: 'bob-password' }, cookie);
      expect(wrong.body.errors).toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
        }),
      ]);
      expect(setCookies(wrong)).toEqual([]);
      const confirmed = await graphql(REAUTHENTICATE, { password: 'alice-password' }, cookie);
      expect(confirmed.body).toEqual({ data: { reauthenticate: true } });
      const renewed = sessionCookie(confirmed);

      const res = await graphql(CHANGE, { email: 'gql@example.com' }, renewed).expect(200);
      expect(res.body).toEqual({ data: { changeEmail: 'gql@example.com' } });
      const invalid = await graphql(CHANGE, { email: 'not-an-email' }, renewed);
      expect(invalid.body.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) }),
      ]);
      await graphql(CHANGE, { email: 'old@example.com' }, cookie).expect(401);
      expect(await emailOfPage(renewed)).toBe('gql@example.com');
    });

    it('refuses a stale session the socket.io changeEmail message with the code, and answers it on the re-authenticated session', async () => {
      const ask = (socket: Socket, email: string) =>
        new Promise<{ answer?: unknown; refused?: unknown }>((resolve) => {
          socket.once('exception', (refused: unknown) => resolve({ refused }));
          socket.emit('changeEmail', { email }, (answer: unknown) => resolve({ answer }));
        });
      const cookie = staleSession();
      const socket = await socketOf(cookie);
      expect(await ask(socket, 'ws@example.com')).toEqual({ refused: REAUTHENTICATION_REQUIRED });

      // The new session ID ends the old one, and the connections it opened.
      const closed = socketIoClosed(socket);
      const renewed = await reauthenticate(cookie);
      expect(await closed).toBe('transport close');
      await expect(openSocketIo(`${origin}/realtime`, { cookie })).rejects.toThrow('Unauthorized');

      const fresh = await socketOf(renewed);
      expect(await ask(fresh, 'ws@example.com')).toEqual({ answer: { email: 'ws@example.com' } });
      expect(await ask(fresh, 'not-an-email')).toEqual({
        refused: { statusCode: 400, error: 'Bad Request', message: ['email must be an email'] },
      });
      expect(await emailOfPage(renewed)).toBe('ws@example.com');
    });
  });

  describe('CSRF tokens on the forms', () => {
    it('refuses each form a token that is missing, wrong, of another session, of a logged-out session or from before login (403), changing nothing', async () => {
      // The victim's browser: a token from the sign-in page, then signed in with the form.
      const anonymous = await load('/');
      const signIn = await post(
        '/sign-in',
        { username: 'bob', password: 'bob-password', _csrf: anonymous.token },
        anonymous.cookie,
      ).expect(303);
      const cookie = sessionCookie(signIn);
      await json('/cart', { item: 'kept' }, cookie).expect(200);
      const other = await login(sample, 'bob');
      const live = await load('/account', cookie);

      const ofAnotherSession = (await load('/account', await login(sample, 'bob'))).token;
      const signedOut = await load('/account', await login(sample, 'bob'));
      await post('/sign-out', { _csrf: signedOut.token }, signedOut.cookie).expect(303);
      const tokens: Record<string, string | undefined> = {
        missing: undefined,
        empty: '',
        wrong: 'A'.repeat(86),
        malformed: `${live.token.slice(0, -1)}!`,
        truncated: live.token.slice(0, 43),
        "another session's": ofAnotherSession,
        "a logged-out session's": signedOut.token,
        'from before login': anonymous.token,
      };
      const forms: [string, Record<string, string>][] = [
        ['/sign-in', { username: 'alice', password: 'alice-password' }],
        ['/sign-out', {}],
        ['/cart/add', { item: 'planted' }],
        ['/account/email', { email: 'planted@example.com' }],
        ['/account/confirm-password', { password: 'bob-password' }],
        ['/account/sessions/revoke', { id: handleOf(other) }],
        ['/account/sessions/revoke-others', {}],
      ];
      for (const [path, form] of forms) {
        for (const [kind, token] of Object.entries(tokens)) {
          const body = token === undefined ? form : { ...form, _csrf: token };
          const res = await post(path, body, cookie);
          expect(res.status, `${path}, ${kind}`).toBe(403);
          expect(res.body, `${path}, ${kind}`).toEqual(CSRF_TOKEN_INVALID);
          expect(setCookies(res), `${path}, ${kind}`).toEqual([]);
        }
        // ...and in the header, as a script would send it.
        const res = await post(path, form, cookie).set('X-CSRF-Token', ofAnotherSession);
        expect(res.status, `${path}, header`).toBe(403);
      }
      const me = (await get('/auth/me', cookie).expect(200)).body;
      expect(me.session.id).toBe(handleOf(cookie));
      expect(me.user.username).toBe('bob');
      expect(await signedIn(other)).toBe(true);
      await get('/cart', cookie).expect(200, { items: ['kept'] });
      expect(await emailOfPage(cookie)).toBe('bob@example.com');
      // The page's own token, in the field or the header, is taken.
      await post('/cart/add', { item: 'mine', _csrf: live.token }, cookie).expect(303);
      await post('/cart/add', { item: 'header' }, cookie)
        .set('X-CSRF-Token', live.token)
        .expect(303);
      await get('/cart', cookie).expect(200, { items: ['kept', 'mine', 'header'] });
    });

    it('refuses the tokens of the session before re-authentication (its ID changed)', async () => {
      const cookie = await login(sample, 'alice');
      const before = await load('/account', cookie);
      const renewed = await reauthenticate(cookie);
      const res = await post('/account/sessions/revoke-others', { _csrf: before.token }, renewed);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(CSRF_TOKEN_INVALID);
      const after = await load('/account', renewed);
      await post('/account/sessions/revoke-others', { _csrf: after.token }, renewed).expect(303);
    });

    it('masks the token afresh on every page load, and each one verifies', async () => {
      const cookie = await login(sample, 'alice');
      const tokens = new Set<string>();
      for (const path of ['/', '/account', '/account/confirm-password', '/account', '/']) {
        const page = await load(path, cookie);
        expect(page.cookie).toBe(cookie);
        expect(page.token).toMatch(/^[\w-]{86}$/);
        tokens.add(page.token);
      }
      expect(tokens.size).toBe(5);
      const id = sessionIdOf(cookie);
      for (const token of tokens) {
        expect(token).not.toContain(id);
        await post('/account/sessions/revoke-others', { _csrf: token }, cookie).expect(303);
      }
      // An anonymous visitor's tokens too: the first page load gives it the cookie they are bound to.
      const first = await load('/');
      const second = await load('/', first.cookie);
      expect(second.cookie).toBe(first.cookie);
      expect(second.token).not.toBe(first.token);
      for (const token of [first.token, second.token]) {
        await post(
          '/sign-in',
          { username: 'alice', password: 'wrong', _csrf: token },
          first.cookie,
        ).expect(303);
      }
    });

    // Each page in a fresh state of its own, and each of its POST forms submitted from there as
    // a browser would: its hidden fields as they are, the others typed in (as alice on the sign-in
    // page, as bob, whose sessions only this test uses, on his pages).
    it('puts a working _csrf field in every POST form of every page', async () => {
      type Page = { html: string; cookie: string | undefined };
      const pages: Record<string, [string, () => Promise<Page>]> = {
        'the sign-in page, anonymous': ['alice', () => load('/')],
        'the sign-in page with a cart': [
          'alice',
          async () => {
            const first = await load('/');
            const added = await post(
              '/cart/add',
              { item: 'cup', _csrf: first.token },
              first.cookie,
            ).expect(303);
            return load('/', setCookies(added).length > 0 ? sessionCookie(added) : first.cookie);
          },
        ],
        // Two sessions of bob: this one's page has a Revoke form for the other.
        'the account page': [
          'bob',
          async () => {
            await sample.app.get(SessionService).revokeAll('2');
            await login(sample, 'bob');
            return load('/account', await login(sample, 'bob'));
          },
        ],
        'the confirm-password page': [
          'bob',
          async () => load('/account/confirm-password', await login(sample, 'bob')),
        ],
      };
      const expected: Record<string, string> = {
        '/cart/add': '/',
        '/sign-in': '/account',
        '/sign-out': '/',
        '/account/email': '/account',
        '/account/confirm-password': '/account',
        '/account/sessions/revoke': '/account',
        '/account/sessions/revoke-others': '/account',
      };
      const submitted = new Set<string>();
      for (const [name, [user, open]] of Object.entries(pages)) {
        const count = formsOf((await open()).html).length;
        expect(count, name).toBeGreaterThan(0);
        for (let i = 0; i < count; i++) {
          const { html, cookie } = await open();
          const form = formsOf(html)[i]!;
          const what = `${name}: ${form.action}`;
          expect(form.method, what).toBe('post');
          expect(form.tokens, what).toBe(1);
          const typed = Object.fromEntries(
            form.inputs.map((input) => [input, typedBy(user)[input]!]),
          );
          const res = await post(form.action, { ...form.hidden, ...typed }, cookie);
          expect(res.status, what).toBe(303);
          expect(res.headers.location, what).toBe(expected[form.action]);
          submitted.add(form.action);
        }
      }
      expect([...submitted].sort()).toEqual(Object.keys(expected).sort());
    });

    it('keeps the JSON API free of tokens: the same answers as before', async () => {
      const added = await json('/cart', { item: 'tea' }).expect(200, { items: ['tea'] });
      const anonymous = sessionCookie(added);
      const res = await json(
        '/auth/login',
        { username: 'alice', password: 'alice-password' },
        anonymous,
      ).expect(200);
      expect(res.body).toEqual({ user: { id: '1', username: 'alice' } });
      const cookie = sessionCookie(res);
      await json('/cart', { item: 'cake' }, cookie).expect(200, { items: ['tea', 'cake'] });
      await json('/auth/email', { email: 'api@example.com' }, cookie).expect(200);
      const renewed = await reauthenticate(cookie);
      await request(origin).delete('/auth/sessions').set('Cookie', renewed).expect(204);
      await json('/auth/logout', {}, renewed).expect(204);
      // A form's token is no part of the JSON API's bodies.
      await json('/cart', { item: 'x', _csrf: 'anything' }).expect(400);
    });
  });
});

describe('SESSION_RECENT_LOGIN_MS', () => {
  it('is 5 minutes unless set, and must be a whole number of ms, at least 1', () => {
    expect(DEFAULT_RECENT_LOGIN_MS).toBe(300_000);
    expect(loadSampleConfig({}).recentLoginMs).toBe(300_000);
    expect(loadSampleConfig({ SESSION_RECENT_LOGIN_MS: '' }).recentLoginMs).toBe(300_000);
    expect(loadSampleConfig({ SESSION_RECENT_LOGIN_MS: '60000' }).recentLoginMs).toBe(60_000);
    for (const value of ['0', '-1', '1.5', 'five', '99999999999999999999']) {
      expect(() => loadSampleConfig({ SESSION_RECENT_LOGIN_MS: value }), value).toThrow(
        'SESSION_RECENT_LOGIN_MS must be a whole number',
      );
    }
  });
});
