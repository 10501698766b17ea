import { createClient } from 'redis';
import { startRedisServer } from './redis-server.js';
import type { StoreInspector, StoreServer } from './store-inspect.js';

/** A plain node-redis client for looking at what the module wrote. Close it after use. */
export async function inspectRedis(url: string) {
  const client = createClient({ url });
  await client.connect();
  return {
    client,
    /** Every key under a prefix, by SCAN (fine for a test's own prefix). */
    async keys(prefix: string): Promise<string[]> {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        keys.push(...batch);
      }
      return keys;
    },
    /** Total calls per command since the last CONFIG RESETSTAT. */
    async commandCalls(): Promise<Record<string, number>> {
      const info = await client.info('commandstats');
      const calls: Record<string, number> = {};
      for (const match of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
        calls[match[1]!] = Number(match[2]);
      }
      return calls;
    },
    recordKey: (prefix: string, handle: string) => `${prefix}s:{${handle}}`,
    close: () => client.close(),
  };
}

/** The store-neutral view (store-inspect.ts) of what a sample wrote to Redis under `prefix`. */
export async function redisStoreInspector(url: string, prefix: string): Promise<StoreInspector> {
  const redis = await inspectRedis(url);
  const { client } = redis;
  const bytes = client.withTypeMapping({ 36: Buffer });
  const recordKey = (handle: string) => redis.recordKey(prefix, handle);
  // PTTL: -2 for no key, -1 for a key that never expires.
  const ttl = async (key: string) => {
    const ms = await client.pTTL(key);
    return ms === -2 ? null : ms === -1 ? Infinity : ms;
  };
  let countsSince = Date.now();
  return {
    store: 'redis',
    record: async (handle) => (await bytes.get(recordKey(handle))) as Buffer | null,
    async replaceRecord(handle, record) {
      const done = await client.set(recordKey(handle), record, {
        condition: 'XX',
        expiration: 'KEEPTTL',
      });
      if (done !== 'OK') throw new Error(`no record stored under ${handle} to replace`);
    },
    holds: async (handle) =>
      (await client.exists([recordKey(handle), `${recordKey(handle)}:revoked`])) > 0,
    recordTtl: (handle) => ttl(recordKey(handle)),
    tombstoneTtl: (handle) => ttl(`${recordKey(handle)}:revoked`),
    async entries() {
      const entries: string[] = [];
      for (const key of await redis.keys(prefix)) {
        const name = key.slice(prefix.length);
        entries.push(name);
        if ((await client.type(key)) === 'zset') {
          for (const handle of await client.zRange(key, 0, -1))
            entries.push(`${name} s:{${handle}}`);
        }
      }
      return entries;
    },
    // What a leaked RDB file or a `redis-cli --scan` and GET of every key would show.
    async dump() {
      const dump: Buffer[] = [];
      for (const key of await redis.keys(prefix)) {
        dump.push(Buffer.from(key));
        const type = await client.type(key);
        if (type === 'string') dump.push((await bytes.get(key)) as Buffer);
        else if (type === 'zset') dump.push(...((await bytes.zRange(key, 0, -1)) as Buffer[]));
        else if (type === 'hash') {
          const hash = (await bytes.hGetAll(key)) as Record<string, Buffer>;
          for (const [field, value] of Object.entries(hash)) dump.push(Buffer.from(field), value);
        } else throw new Error(`dump(): no reader for ${key}, a ${type}`);
      }
      return Buffer.concat(dump).toString('latin1');
    },
    async resetCounts() {
      await client.configResetStat();
      countsSince = Date.now();
    },
    async counts() {
      const { 'config|resetstat': _reset, publish = 0, ...calls } = await redis.commandCalls();
      // The ended-session subscription's heartbeat: a PUBLISH each second whatever the traffic.
      const heartbeats = Math.ceil((Date.now() - countsSince) / 1000) + 1;
      if (publish > heartbeats) {
        throw new Error(`${publish} PUBLISH in ${Date.now() - countsSince} ms: not a heartbeat`);
      }
      return calls;
    },
    close: () => redis.close(),
  };
}

/** A Redis of the test's own (persistent: a restart keeps its data), for suites that stop it. */
export async function redisStoreServer(): Promise<StoreServer> {
  const server = await startRedisServer({ persistent: true });
  // Stalled: the server process stopped (SIGSTOP), as a frozen host would be. CLIENT PAUSE would
  // do, but Redis 7.0 holds a CLIENT UNPAUSE back until the pause ends: no early resume().
  let stalled: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const resume = async () => {
    clearTimeout(timer);
    if (stalled !== undefined) signal(stalled, 'SIGCONT');
    stalled = undefined;
  };
  return {
    url: server.url,
    stop: () => server.stop(),
    start: () => server.start(),
    async stall(ms) {
      const admin = await inspectRedis(server.url);
      const info = await admin.client.info('server');
      await admin.close();
      stalled = Number(/process_id:(\d+)/.exec(info)![1]);
      signal(stalled, 'SIGSTOP');
      timer = setTimeout(() => void resume(), ms);
    },
    resume,
    async close() {
      await resume();
      await server.stop();
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}
