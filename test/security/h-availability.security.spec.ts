import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionService, SessionStoreUnavailableException } from '../../lib/index.js';
import { login, startSample, type SampleUnderTest } from '../support/sample-app.js';
import {
  sampleMatrix,
  startStoreServer,
  storeDeployment,
  type StoreServer,
} from '../support/store-inspect.js';

// A request must end within this long while the store is away: its command timeout plus slack.
const BOUNDED_MS = 5000;
// The memory store, in the sample's process, cannot go away.
const STORES = sampleMatrix(['redis', 'postgres']);

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(STORES)(
  'H. availability: the sample when its store goes away, stalls and comes back (sample on %s) (%s)',
  (store, platform) => {
    let server: StoreServer;
    let env: Record<string, string | undefined>;
    let sample: SampleUnderTest;

    // "The process stays up": an error nothing in the app handles (an 'error' event without a
    // listener) would end it in production. Vitest catches it; each test here ends with none.
    const uncaught: unknown[] = [];
    const monitor = (err: unknown) => void uncaught.push(err);
    afterEach(() => {
      const unhandled = uncaught.splice(0).map(String);
      if (unhandled.length > 0) {
        throw new Error(
          `Nothing handled these; in production the process ends: ${unhandled.join('; ')}`,
        );
      }
    });

    beforeAll(async () => {
      process.on('uncaughtExceptionMonitor', monitor);
      // A server of its own, that keeps its data across a restart as a production one would.
      server = await startStoreServer(store);
      env = { SAMPLE_PLATFORM: platform, ...storeDeployment(store, server.url).env };
      sample = await startSample(env);
    });
    afterAll(async () => {
      await sample?.close();
      await server?.close();
      process.off('uncaughtExceptionMonitor', monitor);
    });

    it('H28/E20: answers 503 (never 200, never a hang) while the store is down, keeps public routes up, then recovers with data kept', async () => {
      const cookie = await login(sample);
      await sample.http.post('/cart').set('Cookie', cookie).send({ item: 'book' }).expect(200);

      await server.stop();
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
        store,
      });
      // Listing and revoking fail with 503 too, never a 500.
      const sessions = sample.app.get(SessionService);
      await expect(sessions.list('1')).rejects.toBeInstanceOf(SessionStoreUnavailableException);
      await expect(sessions.revokeAll('1')).rejects.toBeInstanceOf(
        SessionStoreUnavailableException,
      );
      // A route that does not touch the session still works.
      expect((await down(sample.http.get('/cart'))).body).toEqual({ items: [] });

      await server.start();
      await eventually(async () => (await sample.http.get('/health')).status === 200);
      const back = await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
      expect(back.body.user.username).toBe('alice');
      // The failed write while the store was down did not half-happen; the earlier one is intact.
      expect((await sample.http.get('/cart').set('Cookie', cookie)).body).toEqual({
        items: ['book'],
      });
    });

    // The server's processes stopped (SIGSTOP): nothing on the server side (PostgreSQL's
    // statement_timeout included) can answer, so the client's own deadline must.
    it('H29: answers 503 within the command timeout while the store is up but not answering', async () => {
      const cookie = await login(sample);
      try {
        await server.stall(3000);
        const me = await sample.http.get('/auth/me').set('Cookie', cookie).timeout(BOUNDED_MS);
        expect(me.status).toBe(503);
      } finally {
        await server.resume();
      }
      await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
    });

    it('H28: under steady load while the store flaps, nobody gets in without a valid session and no acknowledged write is lost', async () => {
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
          await server.stop();
          await new Promise((resolve) => setTimeout(resolve, 400));
          await server.start();
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

    // The app's event loop held while the store shuts down: a connection's last reply and the
    // server's goodbye (on PostgreSQL, FATAL 57P01 to every connection) reach the app in one read,
    // before the request that got the reply has given its connection back to the pool.
    it('H28: stays up when the store shuts down under load and its last replies and goodbye arrive together', async () => {
      const cookies = await Promise.all(Array.from({ length: 8 }, () => login(sample)));
      let running = true;
      const load = cookies.map(async (cookie) => {
        while (running) {
          await sample.http
            .get('/auth/me')
            .set('Cookie', cookie)
            .timeout(BOUNDED_MS)
            .catch(() => undefined);
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stopping = server.stop(); // signals the server before it returns
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      await stopping;
      running = false;
      await Promise.all(load);
      await server.start();
      await eventually(async () => (await sample.http.get('/health')).status === 200);
      await sample.http.get('/auth/me').set('Cookie', cookies[0]!).expect(200);
    });

    it('H29: shuts down even while the store is stalled (no hang on queued commands)', async () => {
      const other = await startSample(env);
      const cookie = await login(other);
      try {
        // Longer than the test may take: a close that waited for the store would show.
        await server.stall(20_000);
        // A request leaves a command queued on the stalled connection; close must not wait for it.
        expect(
          (await other.http.get('/auth/me').set('Cookie', cookie).timeout(BOUNDED_MS)).status,
        ).toBe(503);
        const closing = Date.now();
        await other.close();
        expect(Date.now() - closing).toBeLessThan(BOUNDED_MS);
      } finally {
        await server.resume();
      }
    });
  },
);
