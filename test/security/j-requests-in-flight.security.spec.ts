import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionEngine } from '../../lib/engine/session-engine.js';
import { SessionService } from '../../lib/index.js';
import { SESSION_STORE } from '../../lib/session.constants.js';
import type { SessionStore } from '../../lib/stores/session-store.interface.js';
import { holdRequest } from '../support/held-request.js';
import { inspectRedis } from '../support/redis-inspect.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import {
  SAMPLE_PLATFORMS,
  handleOf,
  login,
  sessionCookie,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Enough for an ended-session announcement to reach the other instance through Redis.
const ANNOUNCED_MS = 200;

// SECURITY.md J38: no handler starts for a session that was revoked, on any instance, before
// the handler starts — including a request whose headers arrived before the revocation. Each
// attack holds a request's body back (the session is loaded from its headers; guards run once
// the body is in), revokes the session meanwhile, then sends the body.
describe.each(
  SAMPLE_PLATFORMS.flatMap((platform) =>
    (['redis', 'memory'] as const).map((kind) => [kind, platform] as const),
  ),
)('J38. a request in flight when its session is revoked (sample on %s) (%s)', (kind, platform) => {
  let server: RedisServer | undefined;
  /** The instance the held requests go to. */
  let a: SampleUnderTest;
  /** Where the real user acts: another instance sharing the Redis; `a` itself on memory. */
  let b: SampleUnderTest;
  let port: number;

  beforeAll(async () => {
    // Its own Redis: a test below counts commands, which other test files would add to.
    if (kind === 'redis') server = await startRedisServer();
    const env = {
      REDIS_URL: server?.url,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      SESSION_KEY_PREFIX: `test-${randomUUID()}:`,
    };
    a = await startSample({ ...env, SAMPLE_PLATFORM: platform });
    b = kind === 'redis' ? await startSample({ ...env, SAMPLE_PLATFORM: platform }) : a;
    await a.app.listen(0, '127.0.0.1');
    port = (a.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b === a ? undefined : b?.close()]);
    await server?.stop();
  });

  const me = (app: SampleUnderTest, cookie: string) =>
    app.http.get('/auth/me').set('Cookie', cookie);
  const sessionIdOf = async (cookie: string) =>
    (await me(b, cookie).expect(200)).body.session.id as string;

  it('J38: a stolen cookie\'s "sign out everywhere else", held back while the real user revoked it, does not run: 401, the real user stays signed in', async () => {
    await a.app.get(SessionService).revokeAll('1');
    const phone = await login(b, 'alice');
    const laptop = await login(b, 'alice');
    const stolen = await login(a, 'alice');
    const stolenId = await sessionIdOf(stolen);
    const held = await holdRequest(port, 'DELETE', '/auth/sessions', stolen);
    await b.http.delete(`/auth/sessions/${stolenId}`).set('Cookie', phone).expect(204);
    expect(await held.release()).toBe(401);
    await me(a, phone).expect(200);
    await me(a, laptop).expect(200);
    await me(b, stolen).expect(401);
  });

  // Fastify does not wait for a GET's body: its handler runs at once, so there is no window.
  it.runIf(platform === 'express')(
    'J38: a read-only request held back while its session was logged out elsewhere is refused with 401',
    async () => {
      const cookie = await login(a, 'bob');
      const held = await holdRequest(port, 'GET', '/auth/sessions', cookie);
      await b.http.post('/auth/logout').set('Cookie', cookie).expect(204);
      await sleep(ANNOUNCED_MS);
      expect(await held.release()).toBe(401);
    },
  );

  it('J38: a state-changing request is refused even when the announcement of the revocation was lost', async () => {
    await a.app.get(SessionService).revokeAll('2');
    const kept = await login(b, 'bob');
    const cookie = await login(a, 'bob');
    const held = await holdRequest(port, 'DELETE', '/auth/sessions', cookie);
    // Revoked in the store without a word to any instance, as across a failover that lost it.
    await a.app.get<SessionStore>(SESSION_STORE).revoke(handleOf(cookie), 60_000);
    await sleep(ANNOUNCED_MS);
    expect(await held.release()).toBe(401);
    await me(b, kept).expect(200);
  });

  it('J38: is not refused for the session its own login retired (login and logout in one GraphQL request)', async () => {
    const cookie = await login(a, 'alice');
    const res = await a.http
      .post('/graphql')
      .set('Cookie', cookie)
      .send({
        query: `mutation { login(username: "alice", password: "alice-password") { id } logout }`,
      })
      .expect(200);
    expect(res.body).toEqual({ data: { login: { id: '1' }, logout: true } });
    expect(sessionCookie(res)).toMatch(/^(__Host-)?sid=$/);
    await me(b, cookie).expect(401);
  });

  it.runIf(kind === 'redis')(
    "J38/E20: answers 503, never lets it through, when the store cannot say whether a state-changing request's session was revoked",
    async () => {
      const cookie = await login(a, 'bob');
      // A handler that needs nothing more from the store: only the guard's check can fail.
      const body = JSON.stringify({ query: '{ me { id } }' });
      const held = await holdRequest(port, 'POST', '/graphql', cookie, { body });
      const admin = await inspectRedis(server!.url);
      try {
        // Longer than the command timeout (2 s), shorter than the subscription's patience (3 s).
        await admin.client.sendCommand(['CLIENT', 'PAUSE', '2500', 'ALL']);
        expect(await held.release()).toBe(503);
      } finally {
        await admin.client.sendCommand(['CLIENT', 'UNPAUSE']);
        await admin.close();
      }
      await me(a, cookie).expect(200);
    },
  );

  it('J38: forgets each request once it is answered or abandoned (it keeps only the requests in flight)', async () => {
    const inFlight = a.app.get(SessionEngine).inFlight;
    const cookie = await login(a, 'bob');
    const held = await Promise.all(
      Array.from({ length: 4 }, () => holdRequest(port, 'POST', '/cart', cookie, { settleMs: 0 })),
    );
    await sleep(100);
    expect(inFlight.size).toBe(1);
    await held[0]!.release();
    await Promise.all(held.slice(1).map((request) => request.abort()));
    await me(a, cookie).expect(200);
    await sleep(50);
    expect(inFlight.size).toBe(0);
  });

  it.runIf(kind === 'redis')(
    'J38: costs a guarded read-only request no store command beyond its one read, and a state-changing one a single check of the tombstone',
    async () => {
      const redis = await inspectRedis(server!.url);
      try {
        await a.app.get(SessionService).revokeAll('2');
        const cookie = await login(a, 'bob');
        // Without the ended-session subscription's heartbeat: a PUBLISH each second.
        const requestCommands = async () => {
          const {
            'config|resetstat': _reset,
            publish: _beat,
            ...calls
          } = await redis.commandCalls();
          return calls;
        };
        await redis.client.configResetStat();
        for (let i = 0; i < 5; i++) await me(a, cookie).expect(200);
        expect(await requestCommands()).toEqual({ get: 5 });

        await redis.client.configResetStat();
        await a.http.delete('/auth/sessions').set('Cookie', cookie).expect(204);
        // Its one read of the record, and one EXISTS of the tombstone before the handler runs.
        expect(await requestCommands()).toMatchObject({ get: 1, exists: 1 });
      } finally {
        await redis.close();
      }
    },
  );
});
