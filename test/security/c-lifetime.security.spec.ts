import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleOf, login, startSample, type SampleUnderTest } from '../support/sample-app.js';
import {
  SAMPLE_STORES,
  sampleMatrix,
  startStoreServer,
  storeDeployment,
  type StoreInspector,
  type StoreServer,
} from '../support/store-inspect.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const STORES = sampleMatrix(SAMPLE_STORES);

describe.each(STORES)(
  'C. lifetime: idle timeout, absolute lifetime and sliding renewal (sample on %s) (%s)',
  (store, platform) => {
    const IDLE = 1500;
    const ABSOLUTE = 3000;
    let server: StoreServer | undefined;
    let sample: SampleUnderTest;
    let stored: StoreInspector;

    beforeAll(async () => {
      // A Redis or PostgreSQL of its own: the counts below must not see other test files' traffic.
      server = store === 'memory' ? undefined : await startStoreServer(store);
      const deployment = storeDeployment(store, server?.url);
      sample = await startSample({
        SAMPLE_PLATFORM: platform,
        ...deployment.env,
        SESSION_IDLE_TIMEOUT: String(IDLE),
        SESSION_ABSOLUTE_TIMEOUT: String(ABSOLUTE),
      });
      stored = await deployment.inspect(sample);
    });
    afterAll(async () => {
      await stored?.close();
      await sample?.close();
      await server?.close();
    });

    const me = (cookie: string) => sample.http.get('/auth/me').set('Cookie', cookie);

    it('C10: refuses a cookie replayed after the idle timeout with 401', async () => {
      const cookie = await login(sample);
      await me(cookie).expect(200);
      await sleep(IDLE + 100);
      await me(cookie).expect(401);
    });

    it('C10: keeps an active session alive past the idle timeout by sliding renewal', async () => {
      const cookie = await login(sample);
      const started = Date.now();
      while (Date.now() - started < IDLE * 1.5) {
        await sleep(IDLE / 3);
        await me(cookie).expect(200);
      }
    });

    it('C11: ends a session at its absolute lifetime however active it is; its record outlives it by at most the expiry grace', async () => {
      const cookie = await login(sample);
      const loggedInAt = Date.now();
      const seen: { at: number; status: number; ttlBound?: number }[] = [];
      while (Date.now() - loggedInAt < ABSOLUTE + 500) {
        const { status } = await me(cookie);
        const at = Date.now() - loggedInAt;
        // How far the record's TTL reaches past the absolute deadline: at most the grace (the
        // idle timeout, when under 5 minutes) that lets the next request end it visibly.
        const ttl = status === 200 ? await stored.recordTtl(handleOf(cookie)) : null;
        const ttlBound = ttl === null ? undefined : ttl - (ABSOLUTE - at);
        seen.push({ at, status, ttlBound });
        await sleep(200);
      }
      const ok = seen.filter((s) => s.status === 200);
      const lastOk = Math.max(...ok.map((s) => s.at));
      expect(
        seen.filter((s) => s.status !== 200).every((s) => s.status === 401 && s.at > lastOk),
      ).toBe(true);
      expect(ok.every((s) => s.ttlBound !== undefined && s.ttlBound <= IDLE + 50)).toBe(true);
      expect(lastOk).toBeGreaterThan(IDLE);
      expect(lastOk).toBeLessThanOrEqual(ABSOLUTE + 50);
      await me(cookie).expect(401);
    });

    // The memory store, in the sample's process, takes no commands to count.
    it.runIf(store !== 'memory')(
      'C12: costs exactly one store command per authenticated read-only request, and no write until renewal is due',
      async () => {
        const cookie = await login(sample);
        await stored.resetCounts();
        for (let i = 0; i < 10; i++) await me(cookie).expect(200);
        expect(await stored.counts()).toEqual(store === 'redis' ? { get: 10 } : { read: 10 });

        // Past the renewal fraction (10% of the idle window) the next request rewrites once.
        await sleep(IDLE * 0.1 + 50);
        await stored.resetCounts();
        await me(cookie).expect(200);
        await me(cookie).expect(200);
        // One atomic write-unless-revoked: a script running EXISTS and SET; one INSERT … ON CONFLICT.
        expect(await stored.counts()).toEqual(
          store === 'redis' ? { get: 2, evalsha: 1, set: 1, exists: 1 } : { read: 2, write: 1 },
        );
      },
    );

    it('H30: lets no anonymous or cookieless request store anything (nor, but for a health check, reach the store)', async () => {
      const before = await stored.entries();
      // The memory store, in the sample's process, takes no commands to count.
      if (store !== 'memory') await stored.resetCounts();
      for (const path of ['/cart', '/auth/me', '/health']) await sample.http.get(path);
      const calls = store === 'memory' ? {} : await stored.counts();
      expect(Object.keys(calls).filter((c) => !['ping', 'info'].includes(c))).toEqual([]);
      expect((await stored.entries()).filter((entry) => !before.includes(entry))).toEqual([]);
    });
  },
);
