import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionService } from '../../lib/index.js';
import {
  TOPOLOGIES,
  inspectPrimaries,
  startTopology,
  type TopologyUnderTest,
} from '../support/redis-topology.js';
import {
  SAMPLE_PLATFORMS,
  handleOf,
  login,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IDLE = 1500;
const ABSOLUTE = 3000;

describe.each(
  SAMPLE_PLATFORMS.flatMap((platform) => TOPOLOGIES.map((name) => [name, platform] as const)),
)('session lifecycle across two sample instances on a Redis %s (%s)', (name, platform) => {
  const shared = {
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    SESSION_KEY_PREFIX: `test-${randomUUID()}:`,
  };
  let topology: TopologyUnderTest;
  let a: SampleUnderTest;
  let b: SampleUnderTest;
  /** An instance with short timeouts, for the expiry tests. */
  let brief: SampleUnderTest;
  let redis: Awaited<ReturnType<typeof inspectPrimaries>>;

  beforeAll(async () => {
    topology = await startTopology(name, inject('redisUrl'));
    [a, b, brief, redis] = await Promise.all([
      startSample({ SAMPLE_PLATFORM: platform, ...shared, ...topology.env }),
      startSample({ SAMPLE_PLATFORM: platform, ...shared, ...topology.env }),
      startSample({
        SAMPLE_PLATFORM: platform,
        ...topology.env,
        SESSION_IDLE_TIMEOUT: String(IDLE),
        SESSION_ABSOLUTE_TIMEOUT: String(ABSOLUTE),
      }),
      inspectPrimaries(topology),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), brief?.close(), redis?.close()]);
    await topology?.stop();
  });

  it('logs in on one instance, is known on the other, and logs out', async () => {
    const cookie = await login(a);
    expect((await me(b, cookie).expect(200)).body.user).toMatchObject({ username: 'alice' });
    expect(await redis.exists(redis.recordKey(shared.SESSION_KEY_PREFIX, handleOf(cookie)))).toBe(
      true,
    );
    await a.http.post('/auth/logout').set('Cookie', cookie).expect(204);
    await me(b, cookie).expect(401);
  });

  it('refuses a session idle longer than the idle timeout, on every instance', async () => {
    const cookie = await login(brief);
    await me(brief, cookie).expect(200);
    await sleep(IDLE + 200);
    await me(brief, cookie).expect(401);
  });

  it('ends an active session at its absolute lifetime', async () => {
    const cookie = await login(brief);
    const loggedInAt = Date.now();
    while (Date.now() - loggedInAt < ABSOLUTE - 700) {
      await me(brief, cookie).expect(200);
      await sleep(IDLE / 3);
    }
    await sleep(ABSOLUTE - (Date.now() - loggedInAt) + 200);
    await me(brief, cookie).expect(401);
  });

  const me = (app: SampleUnderTest, cookie: string) =>
    app.http.get('/auth/me').set('Cookie', cookie);
  const sessionsOf = async (app: SampleUnderTest, cookie: string) =>
    (await app.http.get('/auth/sessions').set('Cookie', cookie).expect(200)).body as {
      id: string;
      current: boolean;
      ip: string;
      userAgent: string;
      createdAt: number;
      lastActivityAt: number;
    }[];

  it('refuses a cookie logged out on the other instance, on the very next request', async () => {
    const cookie = await login(a);
    await me(b, cookie).expect(200);
    await b.http.post('/auth/logout').set('Cookie', cookie).expect(204);
    await me(a, cookie).expect(401);
    await me(b, cookie).expect(401);
  });

  it("lists the user's live sessions with opaque handles and marks the current one", async () => {
    await a.app.get(SessionService).revokeAll('2');
    const phone = await login(a, 'bob');
    const laptop = (
      await b.http
        .post('/auth/login')
        .set('User-Agent', 'laptop-browser')
        .send({ username: 'bob', password: 'bob-password' })
        .expect(200)
    ).headers['set-cookie']![0]!.split(';')[0]!;
    const listed = await sessionsOf(b, laptop);
    expect(listed).toHaveLength(2);
    expect(listed.filter((s) => s.current)).toHaveLength(1);
    const current = listed.find((s) => s.current)!;
    expect(current.userAgent).toBe('laptop-browser');
    expect(current.ip).toMatch(/127\.0\.0\.1/);
    expect(current.id).toBe((await me(b, laptop).expect(200)).body.session.id);
    for (const cookie of [phone, laptop]) {
      const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
      expect(JSON.stringify(listed)).not.toContain(sid);
    }
  });

  it('revokes one session by its handle; the revoked cookie gets 401 on both instances', async () => {
    const keep = await login(a);
    const drop = await login(b);
    const dropId = (await me(b, drop).expect(200)).body.session.id as string;
    await a.http.delete(`/auth/sessions/${dropId}`).set('Cookie', keep).expect(204);
    await me(a, drop).expect(401);
    await me(b, drop).expect(401);
    await me(a, keep).expect(200);
    expect((await sessionsOf(a, keep)).map((s) => s.id)).not.toContain(dropId);
  });

  it("answers 404 for another user's handle, an unknown one and a malformed one, and revokes nothing", async () => {
    const alice = await login(a, 'alice');
    const bob = await login(a, 'bob');
    const aliceId = (await me(a, alice).expect(200)).body.session.id as string;
    await a.http.delete(`/auth/sessions/${aliceId}`).set('Cookie', bob).expect(404);
    await a.http
      .delete(`/auth/sessions/${'A'.repeat(43)}`)
      .set('Cookie', bob)
      .expect(404);
    for (const bad of ['..%2F..%2Fx', '*', '%7Bx%7D', 'a'.repeat(500)]) {
      await a.http.delete(`/auth/sessions/${bad}`).set('Cookie', bob).expect(404);
    }
    await me(b, alice).expect(200);
  });

  it('revokes every other session of the user and keeps the current one', async () => {
    const cookies = [await login(a), await login(b), await login(a)];
    const [current, ...others] = cookies as [string, ...string[]];
    await b.http.delete('/auth/sessions').set('Cookie', current).expect(204);
    await me(a, current).expect(200);
    for (const cookie of others) {
      await me(a, cookie).expect(401);
      await me(b, cookie).expect(401);
    }
    expect(await sessionsOf(a, current)).toHaveLength(1);
  });

  it('signs the user out everywhere with revokeAll', async () => {
    const cookies = [await login(a), await login(b), await login(b)];
    const revoked = await a.app.get(SessionService).revokeAll('1');
    expect(revoked).toBeGreaterThanOrEqual(3);
    for (const cookie of cookies) {
      await me(a, cookie).expect(401);
      await me(b, cookie).expect(401);
    }
  });

  it('lets no write of a request in flight bring a logged-out session back', async () => {
    for (let round = 0; round < 5; round++) {
      const cookie = await login(a);
      // supertest sends a request only when awaited: start the writes now, log out among them.
      const writes = Array.from({ length: 20 }, (_, i) =>
        Promise.resolve(
          (i % 2 ? a : b).http
            .post('/cart')
            .set('Cookie', cookie)
            .send({ item: `item-${i}` }),
        ),
      );
      await sleep(round);
      const logout = Promise.resolve(b.http.post('/auth/logout').set('Cookie', cookie));
      const statuses = (await Promise.all([...writes, logout])).map((r) => r.status);
      expect(
        statuses.every((s) => s < 500),
        String(statuses),
      ).toBe(true);
      const handle = handleOf(cookie);
      expect(await redis.exists(redis.recordKey(shared.SESSION_KEY_PREFIX, handle))).toBe(false);
      await me(a, cookie).expect(401);
      await me(b, cookie).expect(401);
    }
  });

  it('loses no session and revives none when revokeAll races with logins', async () => {
    const service = a.app.get(SessionService);
    for (let round = 0; round < 3; round++) {
      const logins = Array.from({ length: 12 }, (_, i) => login(i % 2 ? a : b, 'bob'));
      const revokes = [
        sleep(2).then(() => service.revokeAll('2')),
        sleep(8).then(() => service.revokeAll('2')),
      ];
      const [cookies] = await Promise.all([Promise.all(logins), Promise.all(revokes)]);
      const alive: string[] = [];
      for (const cookie of cookies)
        if ((await me(a, cookie)).status === 200) alive.push(handleOf(cookie));
      const listed = (await service.list('2')).map((s) => s.id);
      // Every session still usable is in the index (so revokeAll can reach it), and vice versa.
      expect(new Set(listed)).toEqual(new Set(alive));
      await service.revokeAll('2');
      for (const cookie of cookies) await me(b, cookie).expect(401);
    }
  });

  // Runs before the TTL test below, whose own SCAN would count. The shared single node also
  // serves other test files, so only the setups this file started are checked.
  it.runIf(name !== 'single node')(
    'never ran KEYS or SCAN and never got a CROSSSLOT error, over every test above',
    async () => {
      const calls = await redis.commandCalls();
      expect(calls.get ?? 0).toBeGreaterThan(20);
      expect(Object.keys(calls).filter((c) => /^(keys|scan)$/.test(c))).toEqual([]);
      expect((await redis.errorCounts()).CROSSSLOT ?? 0).toBe(0);
    },
  );

  it('gives every key it writes a TTL', async () => {
    const cookie = await login(a);
    await a.http.post('/cart').set('Cookie', cookie).send({ item: 'x' }).expect(200);
    await a.http.post('/auth/logout').set('Cookie', cookie).expect(204);
    const keys = await redis.keys(shared.SESSION_KEY_PREFIX);
    expect(keys.length).toBeGreaterThan(3);
    const ttls = await Promise.all(keys.map((key) => redis.pTTL(key)));
    expect(keys.filter((_, i) => ttls[i]! <= 0)).toEqual([]);
  });
});
