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
import type {
  SessionRedisClusterOptions,
  SessionRedisOptions,
  SessionRedisSentinelOptions,
} from '../session-module-options.interface.js';

// `host:port`, or a redis:// / rediss:// URL with a port.
const REDIS_NODE = /^(rediss?:\/\/([^@/\s]*@)?)?[\w.-]+:\d{1,5}\/?$/;
const REDIS_NODE_MESSAGE = 'must list host:port or redis://host:port addresses';

/** @internal class-validator shape of `redis.cluster`. */
export class RedisClusterOptionsSchema implements SessionRedisClusterOptions {
  @IsArray({ message: REDIS_NODE_MESSAGE })
  @ArrayNotEmpty({ message: 'must list at least one node' })
  @Matches(REDIS_NODE, { each: true, message: REDIS_NODE_MESSAGE })
  rootNodes!: string[];
}

/** @internal class-validator shape of `redis.sentinel`. */
export class RedisSentinelOptionsSchema implements SessionRedisSentinelOptions {
  @Matches(/^[\w.-]{1,128}$/, {
    message: 'must be the name the Sentinels monitor the primary under',
  })
  name!: string;

  @IsArray({ message: REDIS_NODE_MESSAGE })
  @ArrayNotEmpty({ message: 'must list at least one Sentinel' })
  @Matches(REDIS_NODE, { each: true, message: REDIS_NODE_MESSAGE })
  sentinels!: string[];

  @IsOptional()
  @IsString({ message: 'must be a string' })
  username?: string;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  password?: string;
}

/** @internal class-validator shape of `redis`. */
export class RedisOptionsSchema implements Omit<SessionRedisOptions, 'client'> {
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  url?: string;

  @IsOptional()
  @ValidateNested()
  @IsObject({ message: 'must be an object: { rootNodes }' })
  cluster?: RedisClusterOptionsSchema;

  @IsOptional()
  @ValidateNested()
  @IsObject({ message: 'must be an object: { name, sentinels }' })
  sentinel?: RedisSentinelOptionsSchema;

  @IsOptional()
  @IsObject({
    message: 'must be a node-redis client from createClient(), createCluster() or createSentinel()',
  })
  client?: object;

  @IsOptional()
  // No braces: the module puts each session's keys under its own hash tag for Redis Cluster.
  @Matches(/^[\w:.-]{1,64}$/, {
    message: 'must be 1-64 characters of letters, digits and _:.- (no braces)',
  })
  prefix?: string;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(50, { message: 'must be at least 50 ms' })
  @Max(60_000, { message: 'must be at most 60000 ms' })
  commandTimeout?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(50, { message: 'must be at least 50 ms' })
  @Max(60_000, { message: 'must be at most 60000 ms' })
  connectTimeout?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  maxQueuedCommands?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(0, { message: 'must be at least 0' })
  @Max(16, { message: 'must be at most 16' })
  revocationReplicas?: number;
}
