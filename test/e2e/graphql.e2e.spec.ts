import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  SAMPLE_PLATFORMS,
  handleOf,
  sessionCookie,
  setCookies,
  startSample,
  type SampleUnderTest,
  type SamplePlatformName,
} from '../support/sample-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IDLE = 1000;

const ME = '{ me { id username } }';
const SESSIONS = '{ sessions { id createdAt lastActivityAt ip userAgent current } }';
const LOGIN = `mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) { id username }
}`;
const LOGOUT = 'mutation { logout }';
const TICKS = 'subscription { ticks { sequence at } }';

const refused = (code: string, message?: string) => [
  expect.objectContaining({
    message: message ?? expect.any(String),
    extensions: expect.objectContaining({ code }),
  }),
];

// Queries and mutations over HTTP, subscriptions over graphql-ws, against the sample's /graphql
// (Apollo on Express, Mercurius on Fastify): one instance on the memory store, or two sharing a
// Redis (a login on one is known on the other).
describe.each(
  SAMPLE_PLATFORMS.flatMap((platform) =>
    (['memory', 'redis'] as const).map((store) => [store, platform] as const),
  ),
)('GraphQL in the sample, on the %s store (%s)', (store, platform) => {
  const redis = {
    SAMPLE_PLATFORM: platform,
    REDIS_URL: store === 'redis' ? inject('redisUrl') : undefined,
    SESSION_KEY_PREFIX: `test-${randomUUID()}:`,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
  };
  let a: SampleUnderTest;
  let b: SampleUnderTest;
  /** An instance with a one-second idle timeout. */
  let brief: SampleUnderTest;

  beforeAll(async () => {
    const samples = await Promise.all([
      startSample(redis),
      startSample({ ...redis, SESSION_IDLE_TIMEOUT: String(IDLE) }),
      ...(store === 'redis' ? [startSample(redis)] : []),
    ]);
    [a, brief, b = a] = samples as [SampleUnderTest, SampleUnderTest, SampleUnderTest?];
    // Subscriptions need a real server: graphql-ws listens for its upgrade requests.
    await Promise.all(samples.map((sample) => sample.app.listen(0, '127.0.0.1')));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b === a ? undefined : b?.close(), brief?.close()]);
  });

  it('answers `me` without a session with UNAUTHENTICATED, no data and HTTP 401', async () => {
    const res = await graphql(a, ME).expect(401);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toEqual(refused('UNAUTHENTICATED', 'Authentication required'));
  });

  it('logs in with a mutation: a new session, the cart kept, known on every instance', async () => {
    const wrong = await graphql(a, LOGIN, { variables: { username: 'alice', password: 'bob' } });
    expect(wrong.body.errors).toEqual(refused('UNAUTHENTICATED'));
    expect(setCookies(wrong)).toEqual([]);

    const anonymous = sessionCookie(await a.http.post('/cart').send({ item: 'book' }).expect(200));
    const cookie = await login(a, anonymous);
    expect(cookie).not.toBe(anonymous);
    await a.http
      .get('/cart')
      .set('Cookie', cookie)
      .expect(200, { items: ['book'] });

    const res = await graphql(
      b,
      `
        ${ME.slice(0, -1)}
        ${SESSIONS.slice(1)}
      `,
      { cookie },
    ).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.me).toEqual({ id: '1', username: 'alice' });
    expect(res.body.data.sessions).toContainEqual({
      id: handleOf(cookie),
      createdAt: expect.any(Number),
      lastActivityAt: expect.any(Number),
      ip: expect.any(String),
      userAgent: null,
      current: true,
    });
  });

  it('logs out with a mutation: the cookie is cleared and refused on every instance', async () => {
    const cookie = await login(a);
    const res = await graphql(a, LOGOUT, { cookie }).expect(200);
    expect(res.body).toEqual({ data: { logout: true } });
    expect(setCookies(res).join()).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
    for (const sample of new Set([a, b])) {
      const refusal = await graphql(sample, ME, { cookie }).expect(401);
      expect(refusal.body.errors).toEqual(refused('UNAUTHENTICATED'));
    }
  });

  it('refuses a cross-site mutation with FORBIDDEN (HTTP 403) and does nothing', async () => {
    const cookie = await login(a);
    const res = await graphql(a, LOGOUT, { cookie, origin: 'https://evil.example' }).expect(403);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toEqual(refused('FORBIDDEN', 'Cross-origin request refused'));
    expect(setCookies(res)).toEqual([]);
    expect((await graphql(b, ME, { cookie })).body.data.me.username).toBe('alice');
  });

  it('renews the session on GraphQL activity, and ends it once idle', async () => {
    const cookie = await login(brief);
    const loggedInAt = Date.now();
    while (Date.now() - loggedInAt < 2.2 * IDLE) {
      await sleep(IDLE * 0.3);
      expect((await graphql(brief, ME, { cookie })).body.data?.me.username).toBe('alice');
    }
    await sleep(IDLE + 200);
    const res = await graphql(brief, ME, { cookie }).expect(401);
    expect(res.body.errors).toEqual(refused('UNAUTHENTICATED', 'Session expired (idle timeout)'));
  });

  it('sends ticks to a subscription with a logged-in cookie', async () => {
    await withClient(b, { cookie: await login(a) }, async (client) => {
      const ticks = client.iterate({ query: TICKS });
      expect((await ticks.next()).value).toEqual({ data: { ticks: tick(1) } });
      expect((await ticks.next()).value).toEqual({ data: { ticks: tick(2) } });
      await ticks.return?.();
    });
  });

  it('refuses a subscription without a session, or from another site, and sends it no data', async () => {
    await withClient(b, {}, async (client) => {
      expect(await outcome(client.iterate({ query: TICKS }))).toEqual(
        refusedSubscription(platform, refused('UNAUTHENTICATED', 'Authentication required')),
      );
    });
    const crossSite = { cookie: await login(a), origin: 'https://evil.example' };
    await withClient(b, crossSite, async (client) => {
      expect(await outcome(client.iterate({ query: TICKS }))).toEqual(
        refusedSubscription(platform, refused('FORBIDDEN', 'Cross-origin WebSocket refused')),
      );
    });
  });

  // Nest runs guards once, when a subscription starts; the resolver re-reads the session per tick.
  it('closes the connection of a running subscription within 1 s of a logout on another instance (4401)', async () => {
    const cookie = await login(a);
    await withClient(b, { cookie }, async (client) => {
      const ticks = client.iterate({ query: TICKS });
      expect((await ticks.next()).value).toEqual({ data: { ticks: tick(1) } });
      await graphql(a, LOGOUT, { cookie }).expect(200);
      const loggedOutAt = Date.now();
      const after: unknown[] = [];
      const error = await (async () => {
        // Three ticks after the logout: it did not end the subscription.
        for await (const result of ticks) if (after.push(result) === 3) return;
      })().catch((err: unknown) => err);
      // A tick sent just before the logout may still arrive; the connection then closes.
      expect(after.length).toBeLessThanOrEqual(1);
      expect(Date.now() - loggedOutAt).toBeLessThan(1000);
      expect(error).toMatchObject({ code: 4401, reason: 'Session ended' });
    });
  });
});

function graphql(
  sample: SampleUnderTest,
  query: string,
  { cookie, origin, variables }: { cookie?: string; origin?: string; variables?: object } = {},
) {
  const req = sample.http.post('/graphql');
  if (cookie) req.set('Cookie', cookie);
  if (origin) req.set('Origin', origin);
  return req.send({ query, variables });
}

async function login(sample: SampleUnderTest, cookie?: string): Promise<string> {
  const variables = { username: 'alice', password: 'alice-password' };
  const res = await graphql(sample, LOGIN, { cookie, variables }).expect(200);
  expect(res.body).toEqual({ data: { login: { id: '1', username: 'alice' } } });
  return sessionCookie(res);
}

/** Runs `use` with a graphql-ws client over `ws` whose upgrade request carries these headers. */
async function withClient(
  sample: SampleUnderTest,
  headers: { cookie?: string; origin?: string },
  use: (client: Client) => Promise<void>,
): Promise<void> {
  const { port } = sample.app.getHttpServer().address() as AddressInfo;
  const client = createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers });
      }
    },
    // One connection for the client's life, so later subscriptions share it.
    lazy: false,
    retryAttempts: 0,
  });
  try {
    await use(client);
  } finally {
    await client.dispose();
  }
}

/** Every result a subscription delivered, and the error it ended with, if any. */
async function outcome<T>(results: AsyncIterable<T>): Promise<{ results: T[]; error?: unknown }> {
  const seen: T[] = [];
  try {
    for await (const result of results) seen.push(result);
  } catch (error: unknown) {
    return { results: seen, error };
  }
  return { results: seen };
}

/**
 * How each platform's driver ends a subscription refused when it starts, with the same errors:
 * Apollo (graphql-ws's server) sends them as the one result, then `complete`; Mercurius sends
 * graphql-ws's `error` message, which the client throws. Neither delivers any data.
 */
function refusedSubscription(platform: SamplePlatformName, errors: unknown[]) {
  return platform === 'express' ? { results: [{ errors }] } : { results: [], error: errors };
}

const tick = (sequence: number) => ({ sequence, at: expect.any(Number) });
