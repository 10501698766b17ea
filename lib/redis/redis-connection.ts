import type { RedisClientType, RedisClusterType, RedisSentinelType } from 'redis';
import { RedisSubscription, type SubscriberClient } from './redis-subscription.js';

/**
 * The part of a `createCluster()` client the module uses. Picked, because a cluster client typed
 * with its modules (the `redis` package adds JSON, search...) is not assignable to
 * `RedisClusterType<any, ...>` as a whole.
 */
export interface SessionRedisClusterClient extends Pick<
  RedisClusterType<any, any, any, any, any>,
  'isOpen' | 'masters' | 'nodeClient' | '_slots' | 'close' | 'destroy'
> {
  // Declared here, not picked: RedisClusterType's return `this`, typed without the modules.
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  connect(): Promise<unknown>;
  sendCommand(
    firstKey: string,
    isReadonly: boolean,
    args: (string | Buffer)[],
    options?: object,
  ): Promise<unknown>;
}

/** A node-redis client of any kind: one node, a cluster or a Sentinel-managed primary. */
export type SessionRedisClient =
  | RedisClientType<any, any, any, any, any>
  | SessionRedisClusterClient
  | RedisSentinelType<any, any, any, any, any>;

/** Which kind of Redis deployment a client talks to. */
export type RedisTopology = 'single' | 'cluster' | 'sentinel';

type CommandArgument = string | Buffer;
// RESP type code of bulk strings.
const BLOB_STRING = 36;
const AS_BYTES = { typeMapping: { [BLOB_STRING]: Buffer } };
// node-redis's cluster client learns a new topology only from a MOVED or ASK reply, which a
// crashed primary never sends (node-redis#2806); the connection asks again at most this often.
const REDISCOVER_INTERVAL_MS = 500;

/**
 * @internal One Redis client, whatever its kind, with what differs between the kinds (command
 * routing, health check, topology refresh, shutdown) in one place.
 */
export class RedisConnection {
  readonly topology: RedisTopology;
  private lastRediscovery = 0;
  private subscription?: RedisSubscription;
  private readonly onNodeError = () => this.commandFailed();

  /**
   * Whether a command can wait unsent (while node-redis looks for a Sentinel primary, or in the
   * offline queue of a client the app gave), so the store must abort it when its request gives up.
   * The module's own single-node and cluster clients have no offline queue: a command to a node
   * that is away fails at once.
   */
  readonly queuesUnsent: boolean;

  constructor(
    private readonly client: SessionRedisClient,
    /** Stops retrying a first connect that failed, for a client the module created. */
    private readonly stopConnecting?: () => void,
    /** A new client like this one, for a subscription; by default its `duplicate()`. */
    private readonly newSubscriber?: () => SubscriberClient,
  ) {
    this.topology = topologyOf(client);
    this.queuesUnsent = stopConnecting === undefined || this.topology === 'sentinel';
    if (this.topology === 'cluster') client.on('node-error', this.onNodeError);
  }

  /**
   * Runs one command on the primary that holds `key`, never on a replica: a replica may not
   * have a revocation yet, even when the client was set up to read from replicas.
   */
  send(key: string, args: CommandArgument[], signal?: AbortSignal): Promise<unknown> {
    return this.sendWith(key, args, signal ? { abortSignal: signal } : undefined);
  }

  /** Like `send()`, with bulk string replies read as Buffers (records are bytes). */
  sendForBytes(key: string, args: CommandArgument[], signal?: AbortSignal): Promise<unknown> {
    return this.sendWith(key, args, signal ? { ...AS_BYTES, abortSignal: signal } : AS_BYTES);
  }

  private sendWith(key: string, args: CommandArgument[], options?: object): Promise<unknown> {
    switch (this.topology) {
      case 'cluster':
        return (this.client as SessionRedisClusterClient).sendCommand(key, false, args, options);
      case 'sentinel':
        return (this.client as AnySentinel).sendCommand(false, args, options);
      case 'single':
        return (this.client as AnyClient).sendCommand(args, options);
    }
  }

  /** Whether every node the store needs answers PING. */
  async ping(): Promise<void> {
    if (this.topology !== 'cluster') {
      if (!(this.client as AnyClient).isReady) throw new Error('Redis is not connected');
      await (this.client as AnyClient).ping();
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
    // `_slots` is node-redis's own (5.8 and 5.9 have it); it has no public way to do this.
    const startWith =
      cluster.masters.find((node) => node.client?.isReady)?.client ?? cluster.masters[0]?.client;
    type Node = Parameters<typeof cluster._slots.rediscover>[0];
    if (startWith) cluster._slots.rediscover(startWith as Node).catch(() => undefined);
  }

  /**
   * Publishes on a channel every instance listens to: sharded pub/sub on a cluster (the channel
   * lives on its slot's primary and follows it across a failover), plain pub/sub elsewhere.
   */
  publish(channel: string, message: string, signal?: AbortSignal): Promise<unknown> {
    const command = this.topology === 'cluster' ? 'SPUBLISH' : 'PUBLISH';
    return this.send(channel, [command, channel, message], signal);
  }

  /**
   * Listens on a channel, on a subscriber client of its own (a duplicate of the store's: a
   * subscribed connection runs no other command), across failovers (see RedisSubscription).
   */
  async subscribe(
    channel: string,
    listener: (message: string) => void,
    resubscribed?: () => void,
  ): Promise<void> {
    const client = this.client as unknown as Partial<SubscriberClient> & {
      duplicate?(): SubscriberClient;
    };
    const newSubscriber = this.newSubscriber ?? client.duplicate?.bind(client);
    if (!newSubscriber) {
      // A Sentinel client the app gave cannot be copied: its own subscription, which node-redis
      // does not carry across a failover (then the next guarded message is refused).
      await client.subscribe!(channel, listener);
      return;
    }
    this.subscription = new RedisSubscription(
      channel,
      listener,
      newSubscriber,
      this.topology === 'cluster',
      (message) => this.publish(channel, message),
      resubscribed,
    );
    await this.subscription.start();
  }

  /** Stops using the client: removes the module's listener from it (a given client stays open). */
  detach(): void {
    this.subscription?.stop();
    if (this.topology === 'cluster') this.client.off('node-error', this.onNodeError);
  }

  async close(): Promise<void> {
    this.stopConnecting?.();
    if (this.client.isOpen) await this.client.close();
  }

  destroy(): void {
    this.stopConnecting?.();
    // A Sentinel client whose pub/sub connection is already gone throws here: it is closed anyway.
    try {
      void Promise.resolve(this.client.destroy()).catch(() => undefined);
    } catch {
      // closed already
    }
  }
}

type AnyClient = RedisClientType<any, any, any, any, any>;
type AnySentinel = RedisSentinelType<any, any, any, any, any>;

function topologyOf(client: SessionRedisClient): RedisTopology {
  if ('_slots' in client && 'masters' in client) return 'cluster';
  if ('getSentinelNode' in client) return 'sentinel';
  return 'single';
}
