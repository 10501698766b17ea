import { Logger, type FactoryProvider } from '@nestjs/common';
import { SessionEvents } from '../events/session-events.js';
import { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import { createRedisClient } from '../redis/create-redis-client.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from '../session.constants.js';
import { MemorySessionStore } from './memory-session.store.js';
import { RedisSessionStore } from './redis-session.store.js';
import type { RevocableSessionStore } from './revocable-session.store.js';

/** @internal The idle/absolute timeout rules from the resolved options. */
export const sessionLifetimeProvider: FactoryProvider<SessionLifetime> = {
  provide: SessionLifetime,
  inject: [RESOLVED_SESSION_OPTIONS],
  useFactory: (options: ResolvedSessionOptions) =>
    new SessionLifetime(options.idleTimeout, options.absoluteTimeout, options.renewalFraction),
};

/**
 * @internal Builds the store: Redis when configured (a client the module created is closed on
 * shutdown, one the user gave is left open), the embedded memory store otherwise.
 */
export const sessionStoreProvider: FactoryProvider<Promise<RevocableSessionStore>> = {
  provide: SESSION_STORE,
  inject: [RESOLVED_SESSION_OPTIONS, SessionLifetime, SessionEvents],
  useFactory: async (
    options: ResolvedSessionOptions,
    lifetime: SessionLifetime,
    events: SessionEvents,
  ) => {
    const logger = new Logger('SessionModule');
    if (!options.redis) {
      if (process.env.NODE_ENV === 'production') {
        logger.warn(
          'Sessions are kept in process memory: they are lost on restart and not shared between ' +
            'instances. Configure `redis` for production.',
        );
      }
      return new MemorySessionStore(lifetime, events);
    }
    const { url, client: given, prefix, commandTimeout } = options.redis;
    const client = given ?? (await createRedisClient({ ...options.redis, url: url! }, logger));
    return new RedisSessionStore(client, prefix, !given, commandTimeout, lifetime, events);
  },
};
