import type { Logger } from '@nestjs/common';
import type { RedisClientOptions } from 'redis';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import type { SessionRedisClient } from './redis-connection.js';
import type { SubscriberClient } from './redis-subscription.js';

type RedisSettings = NonNullable<ResolvedSessionOptions['redis']>;

const MAX_RECONNECT_DELAY_MS = 2000;
const ERROR_LOG_INTERVAL_MS = 10_000;
const SENTINEL_NODE_RETRIES = 3;

/** @internal A client the module created, and how to stop it retrying a failed first connect. */
export interface CreatedRedisClient {
  client: SessionRedisClient;
  stopConnecting: () => void;
  /** A new client of the same kind and options, for a subscription (node-redis's Sentinel client has no `duplicate()`). */
  newSubscriber: () => SubscriberClient;
}

/**
 * @internal Creates the module's own node-redis client for one node (`url`), a cluster or a
 * Sentinel-managed primary. It fails fast rather than piling up requests: while a node is away
 * a command to it fails at once (no offline queue), and at most `maxQueuedCommands` wait for
 * replies per node. The store bounds each exchange by `commandTimeout`. Nodes reconnect by
 * themselves with capped backoff. Startup waits for Redis at most `connectTimeout`, never longer;
 * a cluster that could not be reached at startup is retried in the background.
 */
export async function createRedisClient(
  settings: RedisSettings,
  logger: Logger,
): Promise<CreatedRedisClient> {
  const redis = await import('redis').catch(() => {
    throw new Error(
      "SessionModule: `redis` is set but the 'redis' package is missing: npm install redis",
    );
  });
  const node: RedisClientOptions = {
    socket: {
      connectTimeout: settings.connectTimeout,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
    commandsQueueMaxLength: settings.maxQueuedCommands,
    disableOfflineQueue: true,
  };
  let client: SessionRedisClient;
  let newSubscriber: (() => SubscriberClient) | undefined;
  if (settings.cluster) {
    const seeds = settings.cluster.rootNodes.map(parseNode);
    client = redis.createCluster({
      rootNodes: seeds.map(({ url }) => ({ url })),
      defaults: withCredentials(node, seeds[0]!),
    });
  } else if (settings.sentinel) {
    const sentinels = settings.sentinel.sentinels.map(parseNode);
    const sentinelOptions = {
      name: settings.sentinel.name,
      sentinelRootNodes: sentinels.map(({ host, port }) => ({ host, port })),
      sentinelClientOptions: withCredentials(
        { socket: { connectTimeout: settings.connectTimeout } },
        sentinels[0]!,
      ),
      nodeClientOptions: {
        ...node,
        // A primary the app cannot reach must not hold node-redis's Sentinel client on it for
        // good (node-redis#3061): after a few tries it gives up, and asks the Sentinels again.
        socket: { ...node.socket, reconnectStrategy: sentinelNodeReconnect },
        username: settings.sentinel.username,
        password: settings.sentinel.password,
      },
      passthroughClientErrorEvents: true,
      // node-redis gives up a first connect after this many rounds (one a second) and then never
      // retries; like a single node's reconnects, the module keeps trying until Sentinel answers.
      // Commands waiting meanwhile are abandoned by the store after `commandTimeout`.
      maxCommandRediscovers: Number.MAX_SAFE_INTEGER,
    };
    client = redis.createSentinel(sentinelOptions);
    newSubscriber = () => redis.createSentinel(sentinelOptions) as unknown as SubscriberClient;
  } else {
    client = redis.createClient({ ...node, url: settings.url });
  }
  logTransitions(client, logger);

  let stopped = false;
  const connected = connectUntilStopped(client, logger, () => stopped);
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>(
    (resolve) => (timer = setTimeout(resolve, settings.connectTimeout, false)),
  );
  if ((await Promise.race([connected, gaveUp])) !== true) {
    logger.error(
      `Session store (Redis) not reachable at startup; requests that need a session get 503 until it is`,
    );
  }
  clearTimeout(timer);
  newSubscriber ??= () => (client as unknown as { duplicate(): SubscriberClient }).duplicate();
  return { client, stopConnecting: () => (stopped = true), newSubscriber };
}

function sentinelNodeReconnect(retries: number): number | Error {
  if (retries >= SENTINEL_NODE_RETRIES) return new Error('Redis node unreachable; asking Sentinel');
  return Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS);
}

interface RedisNodeAddress {
  url: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
}

// `host:port` or `redis[s]://[user:password@]host:port`, as validated by the options schema.
function parseNode(address: string): RedisNodeAddress {
  const url = new URL(address.includes('://') ? address : `redis://${address}`);
  return {
    url: `${url.protocol}//${url.host}`,
    host: url.hostname,
    port: Number(url.port),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:',
  };
}

function withCredentials(options: RedisClientOptions, from: RedisNodeAddress): RedisClientOptions {
  return {
    ...options,
    username: from.username,
    password: from.password,
    socket: {
      ...options.socket,
      ...(from.tls ? { tls: true } : {}),
    } as RedisClientOptions['socket'],
  };
}

// A cluster client whose first discovery failed stays closed; node-redis does not retry it.
async function connectUntilStopped(
  client: SessionRedisClient,
  logger: Logger,
  stopped: () => boolean,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      return true;
    } catch (err) {
      if (attempt === 0) {
        logger.error(`Session store (Redis) connect failed: ${(err as Error).message}`);
      }
      if (client.isOpen || stopped()) return false;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(100 * 2 ** attempt, MAX_RECONNECT_DELAY_MS)),
      );
      if (stopped()) return false;
    }
  }
}

function logTransitions(client: SessionRedisClient, logger: Logger): void {
  let lastLogged = 0;
  const unreachable = (err: unknown) => {
    if (Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    const message = err instanceof Error ? err.message : String(err);
    logger.error(`Session store (Redis) unreachable: ${message}; retrying in the background`);
  };
  const reachable = () => {
    if (lastLogged !== 0) logger.log('Session store (Redis) reachable again');
    lastLogged = 0;
  };
  // Without an 'error' listener, node-redis would crash the process on the first error.
  client.on('error', unreachable);
  client.on('node-error', unreachable);
  client.on('ready', reachable);
  client.on('node-ready', reachable);
}
