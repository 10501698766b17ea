import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionService, SessionStoreUnavailableException } from '../../lib/index.js';
import { inspectRedis } from '../support/redis-inspect.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import {
  SAMPLE_PLATFORMS,
  login,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';

// A request must end within this long while Redis is away: the command timeout plus slack.
const BOUNDED_MS = 5000;

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(SAMPLE_PLATFORMS)(
  'H. availability: the sample when Redis goes away, stalls and comes back (%s)',
  (platform) => {
    let redis: RedisServer;
    let sample: SampleUnderTest;

    beforeAll(async () => {
      // Persistent, so a restart keeps the data as a production Redis would.
      redis = await startRedisServer({ persistent: true });
      sample = await startSample({ SAMPLE_PLATFORM: platform, REDIS_URL: redis.url });
    });
    afterAll(async () => {
      await sample?.close();
      await redis?.stop();
    });

    it('H28/E20: answers 503 (never 200, never a hang) while Redis is down, keeps public routes up, then recovers with data kept', async () => {
      const cookie = await login(sample);
      await sample.http.post('/cart').set('Cookie', cookie).send({ item: 'book' }).expect(200);

      await redis.stop();
      const down = (req: ReturnType<typeof sample.http.get>) => req.timeout(BOUNDED_MS);
      const me = await down(sample.http.get('/auth/me').set('Cookie', cookie));
      expect(me.status).toBe(503);
      expect(me.body).toMatchObject({ statusCode: 503 });
      expect(JSON.stringify(me.body)).not.toMatch(/ECONNREFUSED|at .*\.js/);
      expect(
        (await down(sample.http.post('/cart').set('Cookie', cookie).send({ item: 'pen' }))).status,
      ).toBe(503);
      expect((await down(sample.http.post('/cart').send({ item: 'pen' }))).status).toBe(503);
      expect((await down(sample.http.post('/auth/logout').set('Cookie', cookie))).status).toBe(503);
      // D14: a login whose regenerate cannot be stored fails, and hands out no session.
      const loginDown = await down(
        sample.http.post('/auth/login').send({ username: 'bob', password: 'bob-password' }),
      );
      expect(loginDown.status).toBe(503);
      expect(loginDown.headers['set-cookie']).toBeUndefined();
      // The guard fails closed: a protected route is never let through without the store.
      expect((await down(sample.http.get('/auth/sessions').set('Cookie', cookie))).status).toBe(
        503,
      );
      expect((await down(sample.http.get('/health'))).body).toEqual({
        status: 'unavailable',
        store: 'redis',
      });
      // Listing and revoking fail with 503 too, never a 500.
      const sessions = sample.app.get(SessionService);
      await expect(sessions.list('1')).rejects.toBeInstanceOf(SessionStoreUnavailableException);
      await expect(sessions.revokeAll('1')).rejects.toBeInstanceOf(
        SessionStoreUnavailableException,
      );
      // A route that does not touch the session still works.
      expect((await down(sample.http.get('/cart'))).body).toEqual({ items: [] });

      await redis.start();
      await eventually(async () => (await sample.http.get('/health')).status === 200);
      const back = await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
      expect(back.body.user.username).toBe('alice');
      // The failed write while Redis was down did not half-happen; the earlier one is intact.
      expect((await sample.http.get('/cart').set('Cookie', cookie)).body).toEqual({
        items: ['book'],
      });
    });

    it('H29: answers 503 within the command timeout while Redis is up but not answering (CLIENT PAUSE)', async () => {
      const cookie = await login(sample);
      const admin = await inspectRedis(redis.url);
      try {
        await admin.client.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL']);
        const me = await sample.http.get('/auth/me').set('Cookie', cookie).timeout(BOUNDED_MS);
        expect(me.status).toBe(503);
      } finally {
        await admin.client.sendCommand(['CLIENT', 'UNPAUSE']);
        await admin.close();
      }
      await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
    });

    it('H28: under steady load while Redis flaps, nobody gets in without a valid session and no acknowledged write is lost', async () => {
      const WORKERS = 6;
      const revoked = await login(sample, 'bob');
      await sample.http.post('/auth/logout').set('Cookie', revoked).expect(204);
      const cookies = await Promise.all(Array.from({ length: WORKERS }, () => login(sample)));
      const acknowledged: string[][] = cookies.map(() => []);
      const violations: string[] = [];
      const seen = new Map<number, number>();
      let running = true;

      const worker = async (w: number) => {
        for (let n = 0; running && n < 80; n++) {
          const item = `w${w}-${n}`;
          const write = await sample.http
            .post('/cart')
            .set('Cookie', cookies[w]!)
            .send({ item })
            .timeout(BOUNDED_MS);
          if (write.status === 200) acknowledged[w]!.push(item);
          else if (write.status !== 503) violations.push(`write ${write.status}`);
          const me = await sample.http
            .get('/auth/me')
            .set('Cookie', cookies[w]!)
            .timeout(BOUNDED_MS);
          if (me.status !== 200 && me.status !== 503) violations.push(`me ${me.status}`);
          const replay = await sample.http
            .get('/auth/me')
            .set('Cookie', revoked)
            .timeout(BOUNDED_MS);
          if (replay.status !== 401 && replay.status !== 503)
            violations.push(`revoked cookie ${replay.status}`);
          for (const { status } of [write, me, replay])
            seen.set(status, (seen.get(status) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 15));
        }
      };
      const flapper = async () => {
        for (let flap = 0; flap < 3; flap++) {
          await new Promise((resolve) => setTimeout(resolve, 600));
          await redis.stop();
          await new Promise((resolve) => setTimeout(resolve, 400));
          await redis.start();
        }
        await eventually(async () => (await sample.http.get('/health')).status === 200);
        running = false;
      };
      await Promise.all([flapper(), ...cookies.map((_, w) => worker(w))]);

      expect(violations).toEqual([]);
      expect(seen.get(503)).toBeGreaterThan(0); // the outages did hit the load
      expect(seen.get(200)).toBeGreaterThan(0);
      for (let w = 0; w < WORKERS; w++) {
        const cart = await sample.http.get('/cart').set('Cookie', cookies[w]!).expect(200);
        expect(cart.body.items).toEqual(expect.arrayContaining(acknowledged[w]!));
      }
    }, 60_000);

    it('H29: shuts down even while Redis is stalled (no hang on queued commands)', async () => {
      const other = await startSample({ SAMPLE_PLATFORM: platform, REDIS_URL: redis.url });
      const cookie = await login(other);
      const admin = await inspectRedis(redis.url);
      await admin.client.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL']);
      // A request leaves a command queued on the stalled connection; close must not wait for it.
      expect(
        (await other.http.get('/auth/me').set('Cookie', cookie).timeout(BOUNDED_MS)).status,
      ).toBe(503);
      await other.close();
      await admin.client.sendCommand(['CLIENT', 'UNPAUSE']).catch(() => undefined);
      await admin.close();
    });
  },
);
