import { createClient } from 'redis';
import { startRedisCluster } from './redis-cluster.js';
import { startRedisSentinel } from './redis-sentinel.js';

/** The Redis deployments the module supports, as the tests set them up. */
export const TOPOLOGIES = ['single node', 'cluster', 'Sentinel'] as const;
export type TopologyName = (typeof TOPOLOGIES)[number];

/** A Redis deployment under test, and how the sample is pointed at it. */
export interface TopologyUnderTest {
  readonly name: TopologyName;
  /** The sample's environment variables for it (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS). */
  readonly env: Record<string, string>;
  /** URLs of the nodes that are primaries now. */
  primaryUrls(): Promise<string[]>;
  /** Stops what this topology started (nothing, for the shared single node). */
  stop(): Promise<void>;
}

/** Starts a throwaway cluster or Sentinel setup; the single node is the tests' shared Redis. */
export async function startTopology(
  name: TopologyName,
  sharedRedisUrl: string,
): Promise<TopologyUnderTest> {
  switch (name) {
    case 'single node':
      return {
        name,
        env: { REDIS_URL: sharedRedisUrl },
        primaryUrls: async () => [sharedRedisUrl],
        stop: async () => undefined,
      };
    case 'cluster': {
      const cluster = await startRedisCluster();
      return {
        name,
        env: { REDIS_CLUSTER_NODES: cluster.seeds },
        primaryUrls: async () =>
          (await cluster.primaryPorts()).map((port) => `redis://127.0.0.1:${port}`),
        stop: () => cluster.stop(),
      };
    }
    case 'Sentinel': {
      const setup = await startRedisSentinel();
      return {
        name,
        env: { REDIS_SENTINELS: setup.seeds, REDIS_SENTINEL_NAME: setup.name },
        primaryUrls: async () => [(await setup.primary()).url],
        stop: () => setup.stop(),
      };
    }
  }
}

/** Plain clients on every primary, for looking at what the module wrote. Close it after use. */
export async function inspectPrimaries(topology: TopologyUnderTest) {
  const clients = await Promise.all(
    (await topology.primaryUrls()).map((url) => createClient({ url }).connect()),
  );
  // A cluster node answers MOVED for a key of another node's slot: that node does not hold it.
  const owner = async (key: string) => {
    for (const client of clients) {
      if ((await client.exists(key).catch(() => 0)) === 1) return client;
    }
    return undefined;
  };
  return {
    /** Whether any primary holds `key`. */
    exists: async (key: string) => (await owner(key)) !== undefined,
    /** The key's TTL in ms on the primary that holds it; -2 when none does. */
    pTTL: async (key: string) => (await (await owner(key))?.pTTL(key)) ?? -2,
    /** Every key under a prefix on every primary, by SCAN (fine for a test's own prefix). */
    async keys(prefix: string): Promise<string[]> {
      const keys: string[] = [];
      for (const client of clients) {
        for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          keys.push(...batch);
        }
      }
      return keys;
    },
    /** Calls per command, summed over the primaries, from INFO commandstats. */
    commandCalls: () => sumInfo(clients, 'commandstats', /^cmdstat_([\w|]+):calls=(\d+)/gm),
    /** Error replies per error code (CROSSSLOT, MOVED...), summed over the primaries. */
    errorCounts: () => sumInfo(clients, 'errorstats', /^errorstat_(\w+):count=(\d+)/gm),
    recordKey: (prefix: string, handle: string) => `${prefix}s:{${handle}}`,
    close: () => Promise.all(clients.map((client) => client.close())),
  };
}

async function sumInfo(
  clients: { info(section: string): Promise<string> }[],
  section: string,
  line: RegExp,
): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const client of clients) {
    for (const [, name, count] of (await client.info(section)).matchAll(line)) {
      sums[name!] = (sums[name!] ?? 0) + Number(count);
    }
  }
  return sums;
}
