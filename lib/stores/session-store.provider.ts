import { Logger, type FactoryProvider, type OnApplicationShutdown } from '@nestjs/common';
import { RedisStore } from 'connect-redis';
import type { Store } from 'express-session';
import type { RedisClientType } from 'redis';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import { createRedisClient } from '../redis/create-redis-client.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from '../session.constants.js';
import { MemorySessionStore } from './memory-session.store.js';

/** Which kind of store holds the sessions. */
export type SessionStoreKind = 'redis' | 'memory';

/**
 * @internal The store the middleware uses, plus what it takes to check and close it. A Redis
 * client the module created is closed on shutdown; one the user gave is left open.
 */
export class ManagedSessionStore implements OnApplicationShutdown {
  constructor(
    readonly store: Store,
    readonly kind: SessionStoreKind,
    private readonly redis?: {
      client: RedisClientType<any, any, any, any, any>;
      owned: boolean;
      timeout: number;
    },
  ) {}

  /** Resolves true when the store answers within the command timeout. */
  async isReachable(): Promise<boolean> {
    if (!this.redis) return true;
    const { client, timeout } = this.redis;
    if (!client.isReady) return false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(resolve, timeout, false)));
    try {
      return await Promise.race([client.ping().then(() => true), timedOut]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.store instanceof MemorySessionStore) this.store.close();
    if (this.redis?.owned && this.redis.client.isOpen) await this.redis.client.close();
  }
}

/** @internal Builds the store from the resolved options. */
export const sessionStoreProvider: FactoryProvider<Promise<ManagedSessionStore>> = {
  provide: SESSION_STORE,
  inject: [RESOLVED_SESSION_OPTIONS],
  useFactory: async (options: ResolvedSessionOptions) => {
    const logger = new Logger('SessionModule');
    const ttlSeconds = Math.ceil(options.idleTimeout / 1000);
    if (!options.redis) {
      if (process.env.NODE_ENV === 'production') {
        logger.warn(
          'Sessions are kept in process memory: they are lost on restart and not shared between ' +
            'instances. Configure `redis` for production.',
        );
      }
      return new ManagedSessionStore(new MemorySessionStore(options.idleTimeout), 'memory');
    }
    const { url, client: given, prefix, commandTimeout } = options.redis;
    const client = given ?? (await createRedisClient({ ...options.redis, url: url! }, logger));
    const store = new RedisStore({ client, prefix, ttl: ttlSeconds });
    return new ManagedSessionStore(store, 'redis', {
      client,
      owned: !given,
      timeout: commandTimeout,
    });
  },
};
