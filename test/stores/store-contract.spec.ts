import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ResolvedPostgresOptions } from '../../lib/options/postgres-options.schema.js';
import { SESSION_DEFAULTS } from '../../lib/options/session-defaults.js';
import type { ResolvedRedisOptions } from '../../lib/options/resolved-session-options.js';
import { createPostgresSessionStore } from '../../lib/postgres/create-postgres-session-store.js';
import { createRedisClient } from '../../lib/redis/create-redis-client.js';
import { RedisConnection } from '../../lib/redis/redis-connection.js';
import { GuardedSessionStore } from '../../lib/stores/guarded-session.store.js';
import { MemorySessionStore } from '../../lib/stores/memory-session.store.js';
import { RedisSessionStore } from '../../lib/stores/redis-session.store.js';
import { describeSessionStoreContract } from '../../lib/testing.js';
import { startRedisCluster, type RedisClusterUnderTest } from '../support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelUnderTest } from '../support/redis-sentinel.js';
import { BROKEN_STORES } from './broken-map-stores.js';
import { MapDatabase, MapSessionStore } from './map-session.store.js';

// The same suite on every store: a store is added here as a parameter, never as a copy.

describeSessionStoreContract('the memory store', { create: () => new MemorySessionStore() });

// A store written by a third party, on the interface alone, passes too; and so it does as the
// module holds a store given as `store` (every call bounded by `storeTimeout`).
const maps = new MapDatabase();
describeSessionStoreContract('a third-party store over Maps', {
  create: () => new MapSessionStore(maps),
  peer: () => new MapSessionStore(maps),
});
const guardedMaps = new MapDatabase();
describeSessionStoreContract('a third-party store as the module holds it', {
  create: () => new GuardedSessionStore(new MapSessionStore(guardedMaps), 2000),
  peer: () => new GuardedSessionStore(new MapSessionStore(guardedMaps), 2000),
});

// The suite itself under test: run (by a Vitest of its own) on stores that each break one
// promise, it must fail exactly the tests of that promise, and pass the rest.
describe('the SessionStore contract suite', () => {
  it('fails a store that breaks a promise, in the tests of that promise and no other', async () => {
    const results = await runBrokenStores();
    for (const { name, fails } of BROKEN_STORES) {
      const tests = results.filter((test) => test.store === name);
      const failed = tests.filter((test) => test.status === 'failed').map((test) => test.title);
      const passed = tests.filter((test) => test.status === 'passed');
      expect(tests.length, `${name}: tests run`).toBeGreaterThan(20);
      expect(failed.sort(), `${name}: failed`).toEqual([...fails].sort());
      expect(passed.length, `${name}: passed`).toBe(tests.length - fails.length);
    }
  }, 120_000);
});

// Where the Redis store is: one node, a cluster or a Sentinel-managed primary. Every store of a
// setup (and its peer, another app instance) shares one prefix, new for each run of this file.
type RedisTarget = Pick<ResolvedRedisOptions, 'url' | 'cluster' | 'sentinel'>;

async function openRedisStore(target: RedisTarget, prefix: string): Promise<RedisSessionStore> {
  const settings: ResolvedRedisOptions = { ...SESSION_DEFAULTS.redis, ...target, prefix };
  const created = await createRedisClient(settings, new Logger('store contract'));
  const { client, stopConnecting, newSubscriber } = created;
  return new RedisSessionStore({
    connection: new RedisConnection(client, stopConnecting, newSubscriber),
    prefix,
    owned: true,
    commandTimeout: settings.commandTimeout,
    revocationReplicas: 0,
  });
}

function redisSetup(target: () => Promise<RedisTarget>) {
  const prefix = `test-contract-${randomBytes(4).toString('hex')}:`;
  return {
    create: async () => openRedisStore(await target(), prefix),
    peer: async () => openRedisStore(await target(), prefix),
  };
}

/**
 * A server setup started once for this file, in the background from the moment `start()` is
 * called (a cluster takes seconds to form): `get()` waits for it, `stop()` stops it if started.
 */
function startedOnce<T extends { stop(): Promise<void> }>(starting: () => Promise<T>) {
  let started: Promise<T> | undefined;
  const start = () => {
    started ??= starting();
    // Its failure is reported by the tests that wait for it, not as an unhandled rejection.
    started.catch(() => undefined);
    return started;
  };
  return { start, get: start, stop: async () => (await started?.catch(() => undefined))?.stop() };
}

const cluster = startedOnce<RedisClusterUnderTest>(() => startRedisCluster());
const sentinel = startedOnce<RedisSentinelUnderTest>(() => startRedisSentinel());
// Both form while the stores that need no server of their own are tested.
beforeAll(() => {
  void cluster.start();
  void sentinel.start();
});
afterAll(() => Promise.all([cluster.stop(), sentinel.stop()]), 60_000);

describeSessionStoreContract(
  'the Redis store on one node',
  redisSetup(async () => ({ url: inject('redisUrl') })),
);
describeSessionStoreContract(
  'the Redis store on a cluster',
  redisSetup(async () => ({ cluster: { rootNodes: (await cluster.get()).seeds.split(',') } })),
);
describeSessionStoreContract(
  'the Redis store on a Sentinel-managed primary',
  redisSetup(async () => {
    const { name, seeds } = await sentinel.get();
    return { sentinel: { name, sentinels: seeds.split(',') } };
  }),
);

// PostgreSQL: the tests' shared server, tables of their own (their prefix also names the LISTEN
// channel), one pool per store as each app instance has.
const postgres: ResolvedPostgresOptions = {
  ...SESSION_DEFAULTS.postgres,
  url: inject('postgresUrl'),
  tablePrefix: `test_contract_${randomBytes(4).toString('hex')}_`,
};
const openPostgresStore = () =>
  createPostgresSessionStore(postgres, {}, new Logger('store contract'));
describeSessionStoreContract('the PostgreSQL store', {
  create: openPostgresStore,
  peer: openPostgresStore,
});

interface TestOutcome {
  store: string;
  title: string;
  status: string;
}

async function runBrokenStores(): Promise<TestOutcome[]> {
  const output = join(tmpdir(), `nss-broken-stores-${process.pid}.json`);
  const config = join(import.meta.dirname, 'broken-stores.vitest.config.ts');
  const vitest = join(import.meta.dirname, '../../node_modules/vitest/vitest.mjs');
  // Vitest exits non-zero, as it should: the suite fails for every broken store.
  const run = await promisify(execFile)(
    process.execPath,
    [vitest, 'run', '--config', config, '--reporter=json', `--outputFile=${output}`],
    { cwd: join(import.meta.dirname, '../..') },
  ).catch((failed: { stderr?: string }) => failed);
  try {
    const json = await readFile(output, 'utf8').catch(() => {
      throw new Error(`The nested Vitest wrote no report:\n${run.stderr ?? ''}`);
    });
    const report = JSON.parse(json) as {
      testResults: {
        assertionResults: { ancestorTitles: string[]; title: string; status: string }[];
      }[];
    };
    return report.testResults.flatMap((file) =>
      file.assertionResults.map(({ ancestorTitles, title, status }) => ({
        store: ancestorTitles[0]!.replace(/: the SessionStore contract$/, ''),
        title,
        status,
      })),
    );
  } finally {
    await rm(output, { force: true });
  }
}
