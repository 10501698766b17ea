import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectRedis } from '../support/redis-inspect.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import {
  SAMPLE_PLATFORMS,
  handleOf,
  login,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Its own Redis: the command counts below must not see other test files' traffic.
describe.each(
  SAMPLE_PLATFORMS.flatMap((platform) =>
    (['redis', 'memory'] as const).map((kind) => [kind, platform] as const),
  ),
)(
  'C. lifetime: idle timeout, absolute lifetime and sliding renewal (sample on %s) (%s)',
  (kind, platform) => {
    const IDLE = 1500;
    const ABSOLUTE = 3000;
    let server: RedisServer;
    let sample: SampleUnderTest;
    let redis: Awaited<ReturnType<typeof inspectRedis>>;

    beforeAll(async () => {
      server = await startRedisServer();
      sample = await startSample({
        SAMPLE_PLATFORM: platform,
        REDIS_URL: kind === 'redis' ? server.url : undefined,
        SESSION_IDLE_TIMEOUT: String(IDLE),
        SESSION_ABSOLUTE_TIMEOUT: String(ABSOLUTE),
      });
      redis = await inspectRedis(server.url);
    });
    afterAll(async () => {
      await redis?.close();
      await sample?.close();
      await server?.stop();
    });

    const me = (cookie: string) => sample.http.get('/auth/me').set('Cookie', cookie);

    /**
     * The commands since `since`'s CONFIG RESETSTAT, without the ended-session subscription's
     * heartbeat: a PUBLISH each second whatever the traffic, never one per request.
     */
    const requestCommands = async (since: number) => {
      const { 'config|resetstat': _reset, publish = 0, ...calls } = await redis.commandCalls();
      expect(publish).toBeLessThanOrEqual(Math.ceil((Date.now() - since) / 1000) + 1);
      return calls;
    };

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
      const key = redis.recordKey(sample.keyPrefix, handleOf(cookie));
      const seen: { at: number; status: number; ttlBound?: number }[] = [];
      while (Date.now() - loggedInAt < ABSOLUTE + 500) {
        const { status } = await me(cookie);
        const at = Date.now() - loggedInAt;
        // How far the record's TTL reaches past the absolute deadline: at most the grace (the
        // idle timeout, when under 5 minutes) that lets the next request end it visibly.
        const ttlBound =
          kind === 'redis' && status === 200
            ? (await redis.client.pTTL(key)) - (ABSOLUTE - at)
            : undefined;
        seen.push({ at, status, ttlBound });
        await sleep(200);
      }
      const ok = seen.filter((s) => s.status === 200);
      const lastOk = Math.max(...ok.map((s) => s.at));
      expect(
        seen.filter((s) => s.status !== 200).every((s) => s.status === 401 && s.at > lastOk),
      ).toBe(true);
      expect(ok.every((s) => s.ttlBound === undefined || s.ttlBound <= IDLE + 50)).toBe(true);
      expect(lastOk).toBeGreaterThan(IDLE);
      expect(lastOk).toBeLessThanOrEqual(ABSOLUTE + 50);
      await me(cookie).expect(401);
    });

    it.runIf(kind === 'redis')(
      'C12: costs exactly one Redis command per authenticated read-only request, and no write until renewal is due',
      async () => {
        const cookie = await login(sample);
        let since = Date.now();
        await redis.client.configResetStat();
        for (let i = 0; i < 10; i++) await me(cookie).expect(200);
        expect(await requestCommands(since)).toEqual({ get: 10 });

        // Past the renewal fraction (10% of the idle window) the next request rewrites once.
        await sleep(IDLE * 0.1 + 50);
        since = Date.now();
        await redis.client.configResetStat();
        await me(cookie).expect(200);
        await me(cookie).expect(200);
        const renewal = await requestCommands(since);
        // One atomic write-unless-revoked script: EVALSHA running EXISTS and SET.
        expect(renewal).toEqual({ get: 2, evalsha: 1, set: 1, exists: 1 });
      },
    );

    it.runIf(kind === 'redis')(
      'H30: lets no anonymous or cookieless request write to Redis',
      async () => {
        const since = Date.now();
        await redis.client.configResetStat();
        for (const path of ['/cart', '/auth/me', '/health']) await sample.http.get(path);
        const calls = await requestCommands(since);
        expect(Object.keys(calls).filter((c) => !['ping', 'info'].includes(c))).toEqual([]);
      },
    );
  },
);
