import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisCli, waitUntil } from './redis-cli.js';
import { atExit, freePort, startRedisServer, type RedisServer } from './redis-server.js';

/** A throwaway Sentinel setup on loopback: one primary, one replica, three Sentinels. */
export interface RedisSentinelUnderTest {
  /** The primary and the replica (which is which changes on failover). */
  readonly nodes: RedisServer[];
  readonly sentinels: RedisServer[];
  /** `host:port` of every Sentinel, comma-separated: the sample's `REDIS_SENTINELS`. */
  readonly seeds: string;
  readonly name: string;
  /** The node the Sentinels now name as primary. */
  primary(): Promise<RedisServer>;
  /** Waits until the Sentinels agree on a running primary. */
  waitHealthy(): Promise<void>;
  stop(): Promise<void>;
}

const NAME = 'sessions';
// How long the primary may be silent before the Sentinels fail it over. Short, for short tests.
const DOWN_AFTER_MS = 1000;

export async function startRedisSentinel(): Promise<RedisSentinelUnderTest> {
  const first = await startRedisServer();
  const second = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(first.port)] });
  const nodes = [first, second];
  const dir = mkdtempSync(join(tmpdir(), 'nss-sentinel-'));
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  const sentinels: RedisServer[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    // Sentinel rewrites its configuration file, so each gets its own.
    const configFile = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      configFile,
      [
        `sentinel monitor ${NAME} 127.0.0.1 ${first.port} 2`,
        `sentinel down-after-milliseconds ${NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${NAME} 10000`,
        '',
      ].join('\n'),
    );
    sentinels.push(await startRedisServer({ port, configFile, args: ['--sentinel'] }));
  }

  const setup: RedisSentinelUnderTest = {
    nodes,
    sentinels,
    seeds: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
    name: NAME,
    async primary() {
      const reply = await redisCli(
        sentinels.find((s) => s.running)!.port,
        'SENTINEL',
        'get-master-addr-by-name',
        NAME,
      );
      const port = Number(reply.trim().split('\n')[1]);
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`Sentinel names an unknown primary: ${reply}`);
      return node;
    },
    async waitHealthy() {
      await waitUntil('the Sentinels agree on a running primary', async () => {
        const ports = new Set<string>();
        for (const sentinel of sentinels) {
          const info = await redisCli(sentinel.port, 'INFO', 'sentinel');
          const master =
            /master0:name=\w+,status=(\w+),address=[\d.]+:(\d+),slaves=\d+,sentinels=(\d+)/.exec(
              info,
            );
          if (!master || master[1] !== 'ok' || master[3] !== '3') return false;
          ports.add(master[2]!);
        }
        if (ports.size !== 1) return false;
        return nodes.find((n) => n.port === Number([...ports][0]))?.running === true;
      });
    },
    async stop() {
      await Promise.all([...sentinels, ...nodes].map((server) => server.stop()));
    },
  };
  await setup.waitHealthy();
  await waitUntil('the primary has an online replica', async () =>
    /slave0:.*state=online/.test(await redisCli(first.port, 'INFO', 'replication')),
  );
  return setup;
}
