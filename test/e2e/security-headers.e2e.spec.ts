import request from 'supertest';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  SAMPLE_PLATFORMS,
  handleOf,
  sessionCookie,
  sessionIdOf,
  setCookies,
  startSample,
  type SampleUnderTest,
  type SamplePlatformName,
} from '../support/sample-app.js';
import {
  hasOpenssl,
  startProductionSampleBehindProxy,
  type TlsProxy,
} from '../support/tls-proxy.js';

// What every response of the sample carries in production, exactly.
const PRODUCTION_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self';base-uri 'none';connect-src 'self';font-src 'self';form-action 'self';" +
    "frame-ancestors 'none';img-src 'self';object-src 'none';script-src 'self';" +
    "script-src-attr 'none';style-src 'self';upgrade-insecure-requests",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'permissions-policy': 'camera=(), geolocation=(), microphone=(), payment=(), usb=()',
  'x-permitted-cross-domain-policies': 'none',
};

const PASSWORDS = ['alice-password', 'bob-password'];

// Where each platform's GraphQL driver serves GraphiQL outside production: Apollo at GET /graphql,
// Mercurius at GET /graphiql (with a service worker beside it; its GET /graphql runs a query).
const GRAPHIQL: Record<SamplePlatformName, { page: string; assets: string[] }> = {
  express: { page: '/graphql', assets: [] },
  fastify: { page: '/graphiql', assets: ['/graphiql/sw.js'] },
};
/** Every path either driver serves GraphiQL on, with its own policy. */
const ALL_GRAPHIQL_PATHS = Object.values(GRAPHIQL).flatMap(({ page, assets }) => [page, ...assets]);
/** ...and Mercurius's script, which loads GraphiQL from unpkg.com: none of them in production. */
const GRAPHIQL_FILES = [...ALL_GRAPHIQL_PATHS, '/graphiql/main.js'];

/** The CSP as a map of directive to its sources. */
function directivesOf(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!, sources]),
  );
}

/** The checks a scanner makes on any response: every header there, with its value. */
function expectSecurityHeaders(res: Response, what: string): void {
  for (const [name, value] of Object.entries(PRODUCTION_HEADERS)) {
    expect(res.headers[name], `${name} on ${what}`).toBe(value);
  }
  expect(res.headers['x-powered-by'], what).toBeUndefined();
  const csp = directivesOf(res.headers['content-security-policy'] as string);
  for (const sources of csp.values()) {
    expect(sources, what).not.toContain("'unsafe-inline'");
    expect(sources, what).not.toContain("'unsafe-eval'");
    expect(sources, what).not.toContain('*');
  }
  expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
}

/** What an HTML page links to or loads (`href`, `src`), the targets of its forms, and their methods. */
function linksOf(html: string): { loads: string[]; actions: string[]; formMethods: string[] } {
  const values = (attribute: string) =>
    [...html.matchAll(new RegExp(`\\s${attribute}\\s*=\\s*"([^"]*)"`, 'gi'))].map((m) => m[1]!);
  const formMethods = [...html.matchAll(/<form\b[^>]*>/gi)].map(
    (m) => /\smethod\s*=\s*"([^"]*)"/i.exec(m[0])?.[1]?.toLowerCase() ?? 'get',
  );
  return { loads: [...values('href'), ...values('src')], actions: values('action'), formMethods };
}

// SECURITY.md 36: the headers a scanner expects, and no credential or session value in a URL.
describe.skipIf(!hasOpenssl()).each(SAMPLE_PLATFORMS)(
  'security headers and URLs of the sample in production, behind a TLS proxy (%s)',
  (platform) => {
    let sample: SampleUnderTest;
    let proxy: TlsProxy;
    let origin: string;
    /** Values that must never be in a URL: passwords, and each session's ID, cookie and handle. */
    const secrets = new Set(PASSWORDS);
    /** Every URL seen: links, script and form targets, Location headers. */
    const seen = new Map<string, string>();

    const http = () => request(proxy.url);
    const get = (path: string, cookie?: string) => {
      const req = http().get(path).disableTLSCerts();
      return cookie ? req.set('Cookie', cookie) : req;
    };
    // A browser's form post from one of the sample's own pages.
    const postForm = (path: string, form: Record<string, string>, cookie?: string) => {
      const req = http()
        .post(path)
        .disableTLSCerts()
        .set('Origin', origin)
        .type('form')
        .send(new URLSearchParams(form).toString());
      return cookie ? req.set('Cookie', cookie) : req;
    };
    const remember = (cookie: string) => {
      secrets.add(sessionIdOf(cookie)).add(cookie.split('=')[1]!).add(handleOf(cookie));
    };
    /** Loads a page as a browser: the session cookie it then holds, the token of its forms. */
    const open = async (path: string, cookie?: string) => {
      const res = await get(path, cookie).expect(200);
      const set = setCookies(res).find((c) => c.startsWith('__Host-sid=') && !/^[^=]+=;/.test(c));
      const held = set ? sessionCookie(res) : cookie;
      if (held) remember(held);
      const token = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(res.text)?.[1];
      expect(token, `the CSRF token of ${path}`).toBeDefined();
      return { cookie: held, token: token! };
    };
    const signIn = async (username: string) => {
      const page = await open('/');
      const password = `${username}-password`;
      const res = await postForm(
        '/sign-in',
        { username, password, _csrf: page.token },
        page.cookie,
      );
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account');
      seen.set(res.headers.location as string, 'POST /sign-in');
      expectSecurityHeaders(res, 'POST /sign-in');
      const cookie = sessionCookie(res);
      remember(cookie);
      return { res, cookie };
    };

    // Requests a page and everything it links to or loads (same origin only), checking each
    // response's headers and each HTML page's URLs, forms and markup.
    const crawl = async (start: string, cookie?: string): Promise<Set<string>> => {
      const visited = new Set<string>();
      const queue = [start];
      while (queue.length > 0) {
        const path = queue.shift()!;
        if (visited.has(path)) continue;
        visited.add(path);
        const res = await get(path, cookie);
        expect(res.status, path).toBeLessThan(400);
        expectSecurityHeaders(res, `GET ${path}`);
        if (!String(res.headers['content-type']).startsWith('text/html')) continue;
        const html = res.text;
        // No inline script, handler or style: all a CSP without 'unsafe-inline' would block.
        expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
        expect(html, path).not.toMatch(/\son[a-z]+\s*=/i);
        expect(html, path).not.toMatch(/<style\b|\sstyle\s*=/i);
        const { loads, actions, formMethods } = linksOf(html);
        expect(formMethods.length, path).toBe(actions.length);
        expect(
          formMethods.filter((method) => method !== 'post'),
          path,
        ).toEqual([]);
        for (const url of [...loads, ...actions]) {
          seen.set(url, path);
          expect(new URL(url, `${origin}${path}`).origin, url).toBe(origin);
        }
        for (const url of loads) {
          const target = new URL(url, `${origin}${path}`);
          queue.push(target.pathname + target.search);
        }
      }
      return visited;
    };

    beforeAll(async () => {
      ({ sample, proxy } = await startProductionSampleBehindProxy(inject('redisUrl'), platform));
      origin = proxy.url;
    });
    afterAll(async () => {
      await proxy?.close();
      await sample?.close();
    });

    it('sends every security header, exactly, on every page, asset, redirect and error, signed out and signed in', async () => {
      const anonymous = await crawl('/');
      expect([...anonymous].sort()).toEqual(['/', '/assets/sample.css']);

      const { res, cookie } = await signIn('alice');
      expect(setCookies(res)[0]).toMatch(
        /^__Host-sid=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
      await signIn('alice'); // a second session, so the account page has a revoke form
      const signedIn = await crawl('/account', cookie);
      expect([...signedIn].sort()).toEqual([
        '/account',
        '/assets/account.js',
        '/assets/sample.css',
        '/socket.io/socket.io.js',
      ]);
      const confirming = await crawl('/account/confirm-password', cookie);
      expect([...confirming].sort()).toEqual([...signedIn, '/account/confirm-password'].sort());

      const types: Record<string, RegExp> = {
        '/assets/account.js': /^text\/javascript; charset=utf-8$/,
        '/assets/sample.css': /^text\/css; charset=utf-8$/,
        '/socket.io/socket.io.js': /^application\/javascript; charset=utf-8$/,
      };
      for (const [path, type] of Object.entries(types)) {
        expect((await get(path)).headers['content-type'], path).toMatch(type);
      }

      // Pages without a session, JSON routes, errors, and socket.io's own answers.
      const others: [string, () => request.Test][] = [
        ['GET /account signed out', () => get('/account')],
        ['GET /account/confirm-password signed out', () => get('/account/confirm-password')],
        ['GET /account?error=email-invalid', () => get('/account?error=email-invalid', cookie)],
        ['GET /?error=sign-in-failed', () => get('/?error=sign-in-failed')],
        ['GET /auth/me', () => get('/auth/me', cookie)],
        ['GET /auth/me signed out', () => get('/auth/me')],
        ['GET /health', () => get('/health')],
        ['GET /nope (404)', () => get('/nope')],
        ['GET /assets/nope.js (404)', () => get('/assets/nope.js')],
        ...GRAPHIQL_FILES.map((path): [string, () => request.Test] => [
          `GET ${path} as a browser`,
          () => get(path).set('Accept', 'text/html'),
        ]),
        [
          'POST /graphql',
          () =>
            http()
              .post('/graphql')
              .disableTLSCerts()
              .send({ query: '{ me { username } }' })
              .set('Cookie', cookie),
        ],
        ['socket.io long-polling (refused)', () => get('/socket.io/?EIO=4&transport=polling')],
        [
          'a cross-site form post (403)',
          () => postForm('/sign-out', {}).set('Origin', 'https://evil.example'),
        ],
      ];
      for (const [what, send] of others) expectSecurityHeaders(await send(), what);
      // In production there is no GraphiQL (and no page that would need a weaker policy), on
      // either driver's path.
      for (const path of GRAPHIQL_FILES) {
        const res = await get(path).set('Accept', 'text/html');
        expect(res.text, path).not.toContain('GraphiQL');
        expect(res.text, path).not.toContain('unpkg.com');
      }
    });

    it('puts no credential or session value in any URL: links, form targets and redirects', async () => {
      const { cookie } = await signIn('bob');
      const { cookie: other } = await signIn('bob');
      const account = await get('/account', cookie).expect(200);
      const otherHandle = /name="id" value="([^"]+)"/.exec(account.text)?.[1];
      expect(otherHandle).toBe(handleOf(other));

      // Each form posted from its page, with the page's token.
      const redirects: [string, Response, string][] = [];
      const submit = async (
        what: string,
        page: string,
        path: string,
        form: Record<string, string>,
        location: string,
        as?: string,
      ) => {
        const { cookie: held, token } = await open(page, as);
        redirects.push([what, await postForm(path, { ...form, _csrf: token }, held), location]);
      };
      const wrongPassword = { username: 'bob', password: 'alice-password' };
      await submit('a failed sign-in', '/', '/sign-in', wrongPassword, '/?error=sign-in-failed');
      await submit('the cart form', '/', '/cart/add', { item: 'tea' }, '/', cookie);
      const revoke = { id: otherHandle! };
      await submit('revoke', '/account', '/account/sessions/revoke', revoke, '/account', cookie);
      const others = '/account/sessions/revoke-others';
      await submit('revoke others', '/account', others, {}, '/account', cookie);
      const email = '/account/email';
      await submit(
        'change email',
        '/account',
        email,
        { email: 'bob@example.org' },
        '/account',
        cookie,
      );
      const invalid = { email: 'bob' };
      await submit(
        'an invalid email',
        '/account',
        email,
        invalid,
        '/account?error=email-invalid',
        cookie,
      );
      const confirm = '/account/confirm-password';
      const wrong = { password: 'alice-password' };
      await submit(
        'a wrong password',
        confirm,
        confirm,
        wrong,
        `${confirm}?error=confirm-failed`,
        cookie,
      );
      await submit(
        'confirm password',
        confirm,
        confirm,
        { password: 'bob-password' },
        '/account',
        cookie,
      );
      const renewed = sessionCookie(redirects.at(-1)![1]);
      remember(renewed);
      await submit('sign out', '/account', '/sign-out', {}, '/', renewed);
      const { token } = await open('/');
      redirects.push([
        'revoke, signed out',
        await postForm(others, { _csrf: token }, renewed),
        '/account',
      ]);
      for (const [what, res, location] of redirects) {
        expect(res.status, what).toBe(303);
        expect(res.headers.location, what).toBe(location);
        expectSecurityHeaders(res, what);
        seen.set(res.headers.location as string, what);
      }

      // Every URL the pages and redirects of both tests showed.
      expect(seen.size).toBeGreaterThan(8);
      for (const [url, where] of seen) {
        const parsed = new URL(url, origin);
        expect(parsed.origin, where).toBe(origin);
        expect(parsed.username + parsed.password, where).toBe('');
        for (const key of parsed.searchParams.keys()) {
          expect(key, `${url} (${where})`).not.toMatch(/user|pass|sid|session|token|cookie|^id$/i);
        }
        for (const secret of secrets) {
          expect(url, where).not.toContain(secret);
          expect(decodeURIComponent(url), where).not.toContain(decodeURIComponent(secret));
        }
      }
    });
  },
);

describe.each(SAMPLE_PLATFORMS)('security headers outside production (%s)', (platform) => {
  let sample: SampleUnderTest;

  beforeAll(async () => {
    sample = await startSample({ SAMPLE_PLATFORM: platform });
  });
  afterAll(() => sample?.close());

  it('serves plain-HTTP development without upgrade-insecure-requests, and weakens the policy only for GraphiQL', async () => {
    const page = await sample.http.get('/').expect(200);
    const csp = directivesOf(page.headers['content-security-policy'] as string);
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(page.headers['x-frame-options']).toBe('DENY');

    const { page: graphiqlPage, assets } = GRAPHIQL[platform];
    const graphiql = await sample.http.get(graphiqlPage).set('Accept', 'text/html').expect(200);
    expect(graphiql.text).toContain('GraphiQL');
    const relaxed: [string, Response][] = [[`GET ${graphiqlPage}`, graphiql]];
    for (const path of assets) {
      relaxed.push([`GET ${path}`, await sample.http.get(path).expect(200)]);
    }
    for (const [what, res] of relaxed) {
      const csp = directivesOf(res.headers['content-security-policy'] as string);
      expect(csp.get('script-src'), what).toEqual([
        "'self'",
        "'unsafe-inline'",
        'https://unpkg.com',
      ]);
      expect(csp.get('connect-src'), what).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
      expect(res.headers['x-frame-options'], what).toBe('DENY');
    }
    // The API at /graphql, and the other driver's GraphiQL paths here, keep the strict policy.
    const strict: [string, Response][] = [
      [
        'POST /graphql',
        await sample.http.post('/graphql').send({ query: '{ __typename }' }).expect(200),
      ],
    ];
    for (const path of ALL_GRAPHIQL_PATHS) {
      if (path === graphiqlPage || assets.includes(path)) continue;
      strict.push([`GET ${path}`, await sample.http.get(path).set('Accept', 'text/html')]);
    }
    for (const [what, res] of strict) {
      expect(res.text, what).not.toContain('GraphiQL');
      const csp = directivesOf(res.headers['content-security-policy'] as string);
      expect(csp.get('script-src'), what).toEqual(["'self'"]);
    }
  });
});
