import { createServer } from 'node:net';
import { redisCli, waitUntil } from './redis-cli.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

/** A throwaway Redis Cluster on loopback: 3 primaries with one replica each. */
export interface RedisClusterUnderTest {
  readonly nodes: RedisServer[];
  /** `host:port` of every node, comma-separated: the sample's `REDIS_CLUSTER_NODES`. */
  readonly seeds: string;
  /** Ports of the current primaries. */
  primaryPorts(): Promise<number[]>;
  /** The node that is now the primary for `key`'s slot. */
  primaryFor(key: string): Promise<RedisServer>;
  /** Waits until every slot is served by a live primary and the cluster says it is ok. */
  waitHealthy(): Promise<void>;
  stop(): Promise<void>;
}

const PRIMARIES = 3;
// How long a node may be silent before the others fail it over. Short, so tests stay short.
const NODE_TIMEOUT_MS = 1000;

/** Starts 6 redis-servers in cluster mode and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster({
  cpu,
}: { cpu?: number } = {}): Promise<RedisClusterUnderTest> {
  const ports: number[] = [];
  while (ports.length < PRIMARIES * 2) ports.push(await freeClusterPort(ports));
  const args = ['--cluster-enabled', 'yes', '--cluster-node-timeout', String(NODE_TIMEOUT_MS)];
  args.push('--cluster-config-file', 'nodes.conf', '--cluster-replica-validity-factor', '0');
  const nodes = await Promise.all(ports.map((port) => startRedisServer({ port, args, cpu })));
  const addresses = ports.map((port) => `127.0.0.1:${port}`);
  await redisCli(
    ports[0]!,
    '--cluster',
    'create',
    ...addresses,
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  );

  const liveNodes = () => nodes.filter((node) => node.running);
  const cluster: RedisClusterUnderTest = {
    nodes,
    seeds: addresses.join(','),
    async primaryPorts() {
      return (await clusterNodes(liveNodes()[0]!.port))
        .filter((n) => n.primary && !n.failed && n.slots.length > 0)
        .map((n) => n.port);
    },
    async primaryFor(key) {
      const port = liveNodes()[0]!.port;
      const slot = Number((await redisCli(port, 'CLUSTER', 'KEYSLOT', key)).trim());
      const owner = (await clusterNodes(port)).find(
        (n) => n.primary && !n.failed && n.slots.some(([from, to]) => slot >= from && slot <= to),
      );
      const node = nodes.find((n) => n.port === owner?.port);
      if (!node) throw new Error(`No live primary serves slot ${slot}`);
      return node;
    },
    async waitHealthy() {
      await waitUntil('the cluster is ok on every live node, with live primaries', async () => {
        for (const node of liveNodes()) {
          if (!(await redisCli(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'))
            return false;
        }
        const primaries = (await clusterNodes(liveNodes()[0]!.port)).filter(
          (n) => n.primary && n.slots.length > 0,
        );
        const running = new Set(liveNodes().map((node) => node.port));
        return primaries.length === PRIMARIES && primaries.every((n) => running.has(n.port));
      });
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
  await cluster.waitHealthy();
  await waitUntil('every primary has an online replica', async () => {
    for (const port of await cluster.primaryPorts()) {
      if (!/slave0:.*state=online/.test(await redisCli(port, 'INFO', 'replication'))) return false;
    }
    return true;
  });
  // Clients that read from replicas learn of them from CLUSTER SLOTS, which lists a replica only
  // once it has gossiped its replication offset.
  await waitUntil('CLUSTER SLOTS lists every replica', async () => {
    const slots = await redisCli(ports[0]!, 'CLUSTER', 'SLOTS');
    return (slots.match(/^127\.0\.0\.1$/gm) ?? []).length === PRIMARIES * 2;
  });
  return cluster;
}

interface ClusterNode {
  port: number;
  primary: boolean;
  failed: boolean;
  slots: [number, number][];
}

// One line of CLUSTER NODES: <id> <ip:port@bus> <flags> <primary> <ping> <pong> <epoch> <link> <slots...>
async function clusterNodes(port: number): Promise<ClusterNode[]> {
  return (await redisCli(port, 'CLUSTER', 'NODES'))
    .trim()
    .split('\n')
    .map((line) => {
      const [, address, flags, , , , , , ...slots] = line.split(' ');
      return {
        port: Number(/:(\d+)@/.exec(address!)![1]),
        primary: flags!.includes('master'),
        failed: /fail|noaddr/.test(flags!),
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => s.split('-').map(Number) as [number, number])
          .map(([from, to]) => [from, to ?? from] as [number, number]),
      };
    });
}

// A cluster node also listens on port + 10000 (its bus), so both must be free.
async function freeClusterPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (taken.includes(port)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
