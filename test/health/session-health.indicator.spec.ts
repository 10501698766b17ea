import { ServiceUnavailableException, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { SessionHealthIndicator } from '../../lib/health/session-health.indicator.js';
import { SessionModule, type SessionModuleOptions } from '../../lib/index.js';
import { waitUntil } from '../support/redis-cli.js';
import { startRedisCluster, type RedisClusterUnderTest } from '../support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelUnderTest } from '../support/redis-sentinel.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startSample, type SampleUnderTest } from '../support/sample-app.js';

const SECRET = 'x7Gq2mV9pL4rT8wZ1cB6nH3kJ5dF0sAeYuIoPq';
// Short, so a store that does not answer is reported down quickly.
const COMMAND_TIMEOUT_MS = 500;
const UP = { 'session-store': { status: 'up', store: 'redis' } };
const DOWN = {
  'session-store': { status: 'down', store: 'redis', message: expect.any(String) },
};

/** The indicator as a user registers it: TerminusModule, SessionModule and the provider. */
interface IndicatorUnderTest {
  app: INestApplication;
  indicator: SessionHealthIndicator;
  /** Terminus's check of the session store alone, as a health controller runs it. */
  check(): ReturnType<HealthCheckService['check']>;
}

async function startIndicator(
  redis?: SessionModuleOptions['redis'],
  { terminus = true } = {},
): Promise<IndicatorUnderTest> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ...(terminus ? [TerminusModule.forRoot({ logger: false })] : []),
      SessionModule.forRoot({ secret: SECRET, cookie: { secure: false }, redis }),
    ],
    providers: [SessionHealthIndicator],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const indicator = app.get(SessionHealthIndicator);
  return {
    app,
    indicator,
    check: () => app.get(HealthCheckService).check([() => indicator.isHealthy()]),
  };
}

/** The 503 terminus answers with, or the result when the check passed. */
async function statusOf(check: Promise<unknown>): Promise<unknown> {
  return check.then(
    () => 'passed',
    (error: unknown) =>
      error instanceof ServiceUnavailableException ? error.getStatus() : Promise.reject(error),
  );
}

describe('SessionHealthIndicator on one node', () => {
  let subject: IndicatorUnderTest | undefined;
  afterEach(async () => {
    await subject?.app.close();
    subject = undefined;
  });

  it('is always up on the memory store, under the default key', async () => {
    subject = await startIndicator();
    expect(await subject.indicator.isHealthy()).toEqual({
      'session-store': { status: 'up', store: 'memory' },
    });
    expect((await subject.check()).status).toBe('ok');
  });

  it('is up while Redis answers, under the key it is given', async () => {
    subject = await startIndicator({ url: inject('redisUrl'), commandTimeout: COMMAND_TIMEOUT_MS });
    expect(await subject.indicator.isHealthy('sessions')).toEqual({
      sessions: { status: 'up', store: 'redis' },
    });
    expect(await subject.check()).toMatchObject({ status: 'ok', details: UP });
  });

  it('says TerminusModule is missing when the app does not import it', async () => {
    subject = await startIndicator(undefined, { terminus: false });
    await expect(subject.indicator.isHealthy()).rejects.toThrow(/needs TerminusModule/);
  });
});

describe('SessionHealthIndicator and the sample /health while Redis goes away and comes back', () => {
  const USER = 'health';
  const PASSWORD = 'n0t-in-any-health-report';
  let redis: RedisServer;
  let subject: IndicatorUnderTest;
  let sample: SampleUnderTest;

  beforeAll(async () => {
    // A user with a password, so the test can see that no report shows it.
    redis = await startRedisServer({
      args: ['--user', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all'],
    });
    const url = `redis://${USER}:${PASSWORD}@127.0.0.1:${redis.port}`;
    subject = await startIndicator({ url, commandTimeout: COMMAND_TIMEOUT_MS });
    sample = await startSample({ REDIS_URL: url });
  });
  afterAll(async () => {
    await subject?.app.close();
    await sample?.close();
    await redis?.stop();
  });

  it('is down (503 through terminus, and from /health) while Redis is stopped, up again once it is back', async () => {
    expect(await subject.indicator.isHealthy()).toEqual(UP);
    const up = await sample.http.get('/health').expect(200, { status: 'ok', store: 'redis' });
    expect(up.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');

    await redis.stop();
    const down = await subject.indicator.isHealthy();
    expect(down).toEqual(DOWN);
    expect(JSON.stringify(down)).not.toMatch(new RegExp(`${PASSWORD}|${redis.port}|redis://`));
    expect(await statusOf(subject.check())).toBe(503);
    const unavailable = await sample.http.get('/health').timeout(5000);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body).toEqual({ status: 'unavailable', store: 'redis' });

    await redis.start();
    await waitUntil('the indicator is up', async () => (await subject.check()).status === 'ok');
    await waitUntil('/health answers 200', async () => {
      const res = await sample.http.get('/health');
      return res.status === 200 && res.body.store === 'redis';
    });
  });
});

describe('SessionHealthIndicator on a Redis Cluster', () => {
  let cluster: RedisClusterUnderTest;
  let subject: IndicatorUnderTest;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    subject = await startIndicator({
      cluster: { rootNodes: cluster.seeds.split(',') },
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
  }, 60_000);
  afterAll(async () => {
    await subject?.app.close();
    await cluster?.stop();
  });

  it('is up while every primary answers, down once one has crashed, up after the failover', async () => {
    expect(await subject.indicator.isHealthy()).toEqual(UP);

    await (await cluster.primaryFor('any key')).crash();
    expect(await subject.indicator.isHealthy()).toEqual(DOWN);
    expect(await statusOf(subject.check())).toBe(503);

    await cluster.waitHealthy();
    await waitUntil('the indicator is up', async () => (await subject.check()).status === 'ok');
  }, 60_000);
});

describe('SessionHealthIndicator on a Sentinel-managed primary', () => {
  let setup: RedisSentinelUnderTest;
  let subject: IndicatorUnderTest;
  beforeAll(async () => {
    setup = await startRedisSentinel();
    subject = await startIndicator({
      sentinel: { name: setup.name, sentinels: setup.seeds.split(',') },
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
  }, 60_000);
  afterAll(async () => {
    await subject?.app.close();
    await setup?.stop();
  });

  it('is up while the primary answers, down once it has crashed, up after the failover', async () => {
    expect(await subject.indicator.isHealthy()).toEqual(UP);

    await (await setup.primary()).crash();
    expect(await subject.indicator.isHealthy()).toEqual(DOWN);
    expect(await statusOf(subject.check())).toBe(503);

    await setup.waitHealthy();
    await waitUntil('the indicator is up', async () => (await subject.check()).status === 'ok');
  }, 60_000);
});

describe('SessionHealthIndicator without @nestjs/terminus installed', () => {
  afterEach(() => {
    vi.doUnmock('@nestjs/terminus');
    vi.resetModules();
  });

  it('lets the package load, and says to install terminus when a check runs', async () => {
    vi.resetModules();
    vi.doMock('@nestjs/terminus', () => {
      throw new Error("Cannot find package '@nestjs/terminus'");
    });
    // A fresh copy of the package, loaded while terminus cannot be.
    const lib = await import('../../lib/index.js');
    const moduleRef = await Test.createTestingModule({
      imports: [lib.SessionModule.forRoot({ secret: SECRET, cookie: { secure: false } })],
      providers: [lib.SessionHealthIndicator],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      await expect(app.get(lib.SessionHealthIndicator).isHealthy()).rejects.toThrow(
        /needs @nestjs\/terminus: install it/,
      );
    } finally {
      await app.close();
    }
  });
});
