import {
  ArrayNotEmpty,
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type { SessionRedisClient } from '../redis/redis-connection.js';
import type {
  SessionRedisClusterOptions,
  SessionRedisSentinelOptions,
} from '../session-module-options.interface.js';
import { NestedOptions } from './nested-options.js';

// `host:port`, or a redis:// / rediss:// URL with a port.
const REDIS_NODE = /^(rediss?:\/\/([^@/\s]*@)?)?[\w.-]+:\d{1,5}\/?$/;
const REDIS_NODE_MESSAGE = 'must list host:port or redis://host:port addresses';

/**
 * The options under `redis.cluster`, declared, documented and validated here once. The package
 * exports this shape as `SessionRedisClusterOptions`; the class itself is not exported.
 */
export class RedisClusterOptionsSchema {
  /**
   * Some of the cluster's nodes, as `host:port` or `redis://[user:password@]host:port` (`rediss://`
   * for TLS, then for every node); the client finds the rest. Credentials and TLS of the first
   * apply to every node.
   */
  @IsArray({ message: REDIS_NODE_MESSAGE })
  @ArrayNotEmpty({ message: 'must list at least one node' })
  @Matches(REDIS_NODE, { each: true, message: REDIS_NODE_MESSAGE })
  rootNodes!: string[];
}

/**
 * The options under `redis.sentinel`, declared, documented and validated here once. The package
 * exports this shape as `SessionRedisSentinelOptions`; the class itself is not exported.
 */
export class RedisSentinelOptionsSchema {
  /** The name the Sentinels monitor the primary under (`sentinel monitor <name> ...`). */
  @Matches(/^[\w.-]{1,128}$/, {
    message: 'must be the name the Sentinels monitor the primary under',
  })
  name!: string;

  /**
   * Some of the Sentinels, as `host:port` or `redis://[user:password@]host:port` (their own
   * credentials, if they need any). Not `rediss://`: for TLS, pass your own `createSentinel()`
   * client as `redis.client`.
   */
  @IsArray({ message: REDIS_NODE_MESSAGE })
  @ArrayNotEmpty({ message: 'must list at least one Sentinel' })
  @Matches(REDIS_NODE, { each: true, message: REDIS_NODE_MESSAGE })
  sentinels!: string[];

  /**
   * Username on the primary and replicas, if they need one.
   * @default none
   */
  @IsOptional()
  @IsString({ message: 'must be a string' })
  username?: string;

  /**
   * Password of the primary and replicas, if they need one. Never shown in an error message.
   * @default none
   */
  @IsOptional()
  @IsString({ message: 'must be a string' })
  password?: string;
}

/**
 * The options under `redis`, declared, documented and validated here once: give exactly one of
 * `url`, `cluster`, `sentinel` or `client`. The package exports this shape as
 * `SessionRedisOptions`; the class itself is not exported.
 */
export class RedisOptionsSchema {
  /**
   * One Redis, as a `redis://[user:password@]host:port` or `rediss://` (TLS) URL. The module
   * creates the client and closes it on shutdown.
   * @default none
   */
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  url?: string;

  /**
   * A Redis Cluster. The module creates the client, follows failovers, and closes it on shutdown.
   * @default none
   */
  @IsOptional()
  @ValidateNested()
  @NestedOptions(() => RedisClusterOptionsSchema)
  @IsObject({ message: 'must be an object: { rootNodes }' })
  cluster?: SessionRedisClusterOptions;

  /**
   * A Sentinel-managed primary, followed across failovers. The module creates the client and
   * closes it on shutdown.
   * @default none
   */
  @IsOptional()
  @ValidateNested()
  @NestedOptions(() => RedisSentinelOptionsSchema)
  @IsObject({ message: 'must be an object: { name, sentinels }' })
  sentinel?: SessionRedisSentinelOptions;

  /**
   * An existing, connected node-redis client: `createClient()`, `createCluster()` or
   * `createSentinel()`, with its own `error` listener. The module uses it and leaves it open on
   * shutdown.
   * @default none
   */
  @IsOptional()
  @IsObject({
    message: 'must be a node-redis client from createClient(), createCluster() or createSentinel()',
  })
  client?: SessionRedisClient;

  /**
   * Prefix of every Redis key the module writes: letters, digits and `_:.-`, no braces (each
   * session's keys carry their own hash tag, for Redis Cluster).
   * @default 'session:'
   */
  @IsOptional()
  @Matches(/^[\w:.-]{1,64}$/, {
    message: 'must be 1-64 characters of letters, digits and _:.- (no braces)',
  })
  prefix?: string;

  /**
   * Milliseconds a Redis command may take before it fails and the request gets a 503, so a slow
   * Redis cannot hold requests (or let them through).
   * @default 2000
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(50, { message: 'must be at least 50 ms' })
  @Max(60_000, { message: 'must be at most 60000 ms' })
  commandTimeout?: number;

  /**
   * Milliseconds to wait for a TCP connection to Redis; startup waits for Redis at most this long.
   * @default 2000
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(50, { message: 'must be at least 50 ms' })
  @Max(60_000, { message: 'must be at most 60000 ms' })
  connectTimeout?: number;

  /**
   * How many commands may wait for Redis replies at once (when it is slow), per node; more fail
   * at once with a 503. While Redis is unreachable, commands fail at once; with Sentinel they
   * wait while node-redis looks for the primary, then end with a 503 after `commandTimeout` and
   * are dropped unsent.
   * @default 1000
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  maxQueuedCommands?: number;

  /**
   * How many replicas must have a revocation (logout, revoke, login's retired ID) before it is
   * acknowledged: the module sends `WAIT` after it, and answers 503 when fewer replicas confirm
   * within 100 ms (or half of `commandTimeout`, if shorter). Replication is asynchronous, so
   * without it a failover right after a logout can bring the session back. The cost: while a
   * primary has fewer replicas, every revocation on it gets 503 and holds the other commands on
   * its connection for up to that wait. `0` does not wait.
   * @default 0
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(0, { message: 'must be at least 0' })
  @Max(16, { message: 'must be at most 16' })
  revocationReplicas?: number;
}
