import type { RedisClientType, RedisClusterType, RedisSentinelType, TypeMapping } from 'redis';

/**
 * The part of a `createCluster()` client the module uses. Picked, because a cluster client typed
 * with its modules (the `redis` package adds JSON, search...) is not assignable to
 * `RedisClusterType<any, ...>` as a whole.
 */
export interface SessionRedisClusterClient extends Pick<
  RedisClusterType<any, any, any, any, any>,
  'isOpen' | 'masters' | 'nodeClient' | '_slots' | 'close' | 'destroy' | 'on'
> {
  connect(): Promise<unknown>;
  withTypeMapping(mapping: TypeMapping): unknown;
}

/** A node-redis client of any kind: one node, a cluster or a Sentinel-managed primary. */
export type SessionRedisClient =
  | RedisClientType<any, any, any, any, any>
  | SessionRedisClusterClient
  | RedisSentinelType<any, any, any, any, any>;

/** Which kind of Redis deployment a client talks to. */
export type RedisTopology = 'single' | 'cluster' | 'sentinel';

/** @internal Keys and arguments of a Lua script run. */
export interface ScriptCall {
  keys: string[];
  arguments: (string | Buffer)[];
}

/**
 * @internal The commands the store runs. Every client kind has them with these signatures; each
 * names its keys, so a cluster client routes it to the slot's primary.
 */
export interface RedisCommands {
  get(key: string): Promise<unknown>;
  exists(key: string): Promise<number>;
  del(key: string): Promise<number>;
  hDel(key: string, fields: string[]): Promise<number>;
  hGetAll(key: string): Promise<Record<string, string>>;
  evalSha(sha: string, call: ScriptCall): Promise<unknown>;
  eval(source: string, call: ScriptCall): Promise<unknown>;
}

// RESP type code of bulk strings: read them as Buffers, since records are bytes.
const BLOB_STRING = 36;
// node-redis's cluster client learns a new topology only from a MOVED or ASK reply, which a
// crashed primary never sends (node-redis#2806); the connection asks again at most this often.
const REDISCOVER_INTERVAL_MS = 500;

/**
 * @internal One Redis client, whatever its kind, with what differs between the kinds (health
 * check, topology refresh, shutdown) in one place.
 */
export class RedisConnection {
  readonly topology: RedisTopology;
  readonly commands: RedisCommands;
  /** The same commands, with bulk string replies as Buffers. */
  readonly bytes: RedisCommands;
  private lastRediscovery = 0;

  constructor(
    private readonly client: SessionRedisClient,
    /** Stops retrying a first connect that failed, for a client the module created. */
    private readonly stopConnecting: () => void = () => undefined,
  ) {
    this.topology = topologyOf(client);
    this.commands = client as unknown as RedisCommands;
    this.bytes = client.withTypeMapping({ [BLOB_STRING]: Buffer }) as unknown as RedisCommands;
    if (this.topology === 'cluster') client.on('node-error', () => this.commandFailed());
  }

  /** Whether every node the store needs answers PING. */
  async ping(): Promise<void> {
    if (this.topology !== 'cluster') {
      if (!(this.client as RedisClientType).isReady) throw new Error('Redis is not connected');
      await (this.client as RedisClientType).ping();
      return;
    }
    const cluster = this.client as SessionRedisClusterClient;
    if (cluster.masters.length === 0) throw new Error('Redis Cluster has no known primaries');
    await Promise.all(cluster.masters.map(async (node) => (await cluster.nodeClient(node)).ping()));
  }

  /** Tells the connection a command failed, so a cluster client looks for a new topology. */
  commandFailed(): void {
    if (this.topology !== 'cluster' || !this.client.isOpen) return;
    if (Date.now() - this.lastRediscovery < REDISCOVER_INTERVAL_MS) return;
    this.lastRediscovery = Date.now();
    const cluster = this.client as SessionRedisClusterClient;
    // Asks a live primary if there is one; node-redis falls back to the seed nodes otherwise.
    const startWith =
      cluster.masters.find((node) => node.client?.isReady)?.client ?? cluster.masters[0]?.client;
    if (startWith) cluster._slots.rediscover(startWith as RedisClientType).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.stopConnecting();
    if (this.client.isOpen) await this.client.close();
  }

  destroy(): void {
    this.stopConnecting();
    void this.client.destroy();
  }
}

function topologyOf(client: SessionRedisClient): RedisTopology {
  if ('_slots' in client && 'masters' in client) return 'cluster';
  if ('getSentinelNode' in client) return 'sentinel';
  return 'single';
}
