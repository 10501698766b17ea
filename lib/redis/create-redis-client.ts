import type { Logger } from '@nestjs/common';
import type { RedisClientType } from 'redis';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';

type RedisSettings = NonNullable<ResolvedSessionOptions['redis']>;

const MAX_RECONNECT_DELAY_MS = 2000;
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * @internal Creates the module's own node-redis client. It fails fast rather than piling up
 * requests: while Redis is away a command fails at once (no offline queue), and at most
 * `maxQueuedCommands` wait for replies. The store bounds each exchange by `commandTimeout`. It reconnects by
 * itself with capped backoff. Startup waits for Redis at most `connectTimeout`, never longer.
 */
export async function createRedisClient(
  settings: RedisSettings & { url: string },
  logger: Logger,
): Promise<RedisClientType> {
  const { createClient } = await import('redis').catch(() => {
    throw new Error(
      "SessionModule: `redis.url` is set but the 'redis' package is missing: npm install redis",
    );
  });
  const client = createClient({
    url: settings.url,
    socket: {
      connectTimeout: settings.connectTimeout,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
    commandsQueueMaxLength: settings.maxQueuedCommands,
    disableOfflineQueue: true,
  }) as RedisClientType;

  let lastLogged = 0;
  client.on('error', (err: Error) => {
    if (Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    logger.error(`Session store (Redis) unreachable: ${err.message}; retrying in the background`);
  });
  client.on('ready', () => {
    if (lastLogged !== 0) logger.log('Session store (Redis) reachable again');
    lastLogged = 0;
  });
  let timer: NodeJS.Timeout | undefined;
  const connected = client.connect().then(
    () => true,
    (err: Error) => logger.error(`Session store (Redis) connect failed: ${err.message}`),
  );
  const gaveUp = new Promise<false>(
    (resolve) => (timer = setTimeout(resolve, settings.connectTimeout, false)),
  );
  if ((await Promise.race([connected, gaveUp])) !== true) {
    logger.error(
      `Session store (Redis) not reachable at startup; requests that need a session get 503 until it is`,
    );
  }
  clearTimeout(timer);
  return client;
}
