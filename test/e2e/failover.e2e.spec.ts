import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisClusterUnderTest } from '../support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelUnderTest } from '../support/redis-sentinel.js';
import type { RedisServer } from '../support/redis-server.js';
import { handleOf, login, startSample, type SampleUnderTest } from '../support/sample-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WORKERS = 4;
// After the Redis side has failed over, how long the apps may take to find the new primary
// (a request that waited on the old one ends with 503 after the 2 s command timeout).
const RECOVERY_BOUND_MS = 4000;
// How long the load goes on after that, to show the apps serve again.
const STEADY_MS = 1500;

interface Outcome {
  at: number;
  step: 'login' | 'me' | 'logout' | 'replay';
  status: number;
}

/** The setups that can fail over, with the primary to crash and how to tell the failover is done. */
const SETUPS = {
  cluster: async () => {
    const cluster: RedisClusterUnderTest = await startRedisCluster();
    return {
      env: { REDIS_CLUSTER_NODES: cluster.seeds },
      primaryFor: (key: string): Promise<RedisServer> => cluster.primaryFor(key),
      failedOver: () => cluster.waitHealthy(),
      stop: () => cluster.stop(),
    };
  },
  Sentinel: async () => {
    const setup: RedisSentinelUnderTest = await startRedisSentinel();
    return {
      env: { REDIS_SENTINELS: setup.seeds, REDIS_SENTINEL_NAME: setup.name },
      primaryFor: (): Promise<RedisServer> => setup.primary(),
      failedOver: () => setup.waitHealthy(),
      stop: () => setup.stop(),
    };
  },
};

describe.each(['cluster', 'Sentinel'] as const)(
  'crashing the Redis %s primary under steady load on two instances',
  (name) => {
    let setup: Awaited<ReturnType<(typeof SETUPS)[typeof name]>>;
    let a: SampleUnderTest;
    let b: SampleUnderTest;

    beforeAll(async () => {
      setup = await SETUPS[name]();
      const shared = {
        ...setup.env,
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        SESSION_KEY_PREFIX: `failover-${randomUUID()}:`,
      };
      [a, b] = await Promise.all([startSample(shared), startSample(shared)]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await setup?.stop();
    });

    const me = (app: SampleUnderTest, cookie: string) =>
      Promise.resolve(app.http.get('/auth/me').set('Cookie', cookie));

    it('fails closed with 503 while it fails over, recovers without a restart, and keeps revoked sessions revoked', async () => {
      // Sessions from before the crash: some logged out, some still in use.
      const revoked: string[] = [];
      const kept: string[] = [];
      for (let i = 0; i < 12; i++) {
        const cookie = await login(i % 2 ? a : b);
        if (i % 3 === 0) {
          await a.http.post('/auth/logout').set('Cookie', cookie).expect(204);
          revoked.push(cookie);
        } else kept.push(cookie);
      }
      // The primary that holds the first logged-out session's record and tombstone.
      const victim = await setup.primaryFor(`${a.keyPrefix}s:{${handleOf(revoked[0]!)}}`);
      await sleep(200); // the replicas have what the primary acknowledged

      const outcomes: Outcome[] = [];
      const loggedOut: string[] = [];
      const started = Date.now();
      let running = true;
      const record = (step: Outcome['step'], status: number) =>
        outcomes.push({ at: Date.now() - started, step, status });
      const worker = async (n: number) => {
        for (let round = 0; running; round++) {
          const [first, second] = (n + round) % 2 ? [a, b] : [b, a];
          const res = await first.http
            .post('/auth/login')
            .send({ username: 'bob', password: 'bob-password' });
          record('login', res.status);
          if (res.status !== 200) {
            await sleep(20);
            continue;
          }
          const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
          record('me', (await me(second, cookie)).status);
          const logout = await first.http.post('/auth/logout').set('Cookie', cookie);
          record('logout', logout.status);
          // A cookie logged out a moment ago must never get back in, on either instance.
          if (logout.status === 204) {
            loggedOut.push(cookie);
            record('replay', (await me(second, cookie)).status);
          }
        }
      };
      const workers = Array.from({ length: WORKERS }, (_, n) => worker(n));

      await sleep(1000);
      const crashedAt = Date.now() - started;
      await victim.crash();
      await setup.failedOver();
      const failedOverAt = Date.now() - started;
      await sleep(RECOVERY_BOUND_MS + STEADY_MS);
      running = false;
      await Promise.all(workers);

      const unavailable = outcomes.filter((o) => o.status === 503);
      const firstOutage = Math.min(...unavailable.map((o) => o.at));
      const lastOutage = Math.max(...unavailable.map((o) => o.at));
      const successes = outcomes.filter((o) => o.status < 400).map((o) => o.at);
      const longestGap = Math.max(...successes.slice(1).map((at, i) => at - successes[i]!));
      const after = outcomes.filter((o) => o.at > failedOverAt + RECOVERY_BOUND_MS);
      const lost = (await Promise.all(kept.map((cookie) => me(a, cookie)))).filter(
        (res) => res.status !== 200,
      ).length;
      console.info(
        `${name} failover: primary crashed at ${crashedAt} ms, Redis failed over at ${failedOverAt} ms; ` +
          `503s from ${firstOutage} to ${lastOutage} ms (${unavailable.length} of ${outcomes.length} requests); ` +
          `longest time without a successful request ${longestGap} ms; ` +
          `${lost} of ${kept.length} sessions from before the crash lost`,
      );

      // Nothing but the expected answers, and never a way in for a logged-out cookie.
      expect(new Set(outcomes.map((o) => o.status))).toSatisfy((statuses: Set<number>) =>
        [...statuses].every((s) => [200, 204, 401, 503].includes(s)),
      );
      expect(outcomes.filter((o) => o.step === 'replay' && o.status === 200)).toEqual([]);
      expect(outcomes.filter((o) => o.step === 'login' && o.status === 401)).toEqual([]);
      // It was unavailable, then recovered without a restart.
      expect(unavailable.length).toBeGreaterThan(0);
      expect(firstOutage).toBeGreaterThanOrEqual(crashedAt);
      expect(lastOutage).toBeLessThan(failedOverAt + RECOVERY_BOUND_MS);
      expect(after.length).toBeGreaterThan(20);
      expect(after.filter((o) => o.status >= 500)).toEqual([]);
      // Sessions revoked before the crash, and every logout acknowledged during the run (the
      // last ones just before the crash), stay revoked on both instances.
      expect(loggedOut.length).toBeGreaterThan(20);
      for (const cookie of [...revoked, ...loggedOut]) {
        expect((await me(a, cookie)).status).toBe(401);
        expect((await me(b, cookie)).status).toBe(401);
      }
      expect(lost).toBe(0);
    }, 90_000);
  },
);
