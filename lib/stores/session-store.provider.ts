import { Logger, type FactoryProvider } from '@nestjs/common';
import { SessionCipher } from '../crypto/session-cipher.js';
import { SessionEvents } from '../events/session-events.js';
import { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import { createRedisClient } from '../redis/create-redis-client.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from '../session.constants.js';
import { MemorySessionStore } from './memory-session.store.js';
import { RedisSessionStore } from './redis-session.store.js';
import type { RevocableSessionStore } from './revocable-session.store.js';
import { SessionRecordCodec } from './session-record.codec.js';

/** @internal The idle/absolute timeout rules from the resolved options. */
export const sessionLifetimeProvider: FactoryProvider<SessionLifetime> = {
  provide: SessionLifetime,
  inject: [RESOLVED_SESSION_OPTIONS],
  useFactory: (options: ResolvedSessionOptions) =>
    new SessionLifetime(options.idleTimeout, options.absoluteTimeout, options.renewalFraction),
};

/**
 * @internal Builds the store: Redis when configured (a client the module created is closed on
 * shutdown, one the user gave is left open), the embedded memory store otherwise; both encrypt
 * with `encryptionKeys` when given.
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
    const production = process.env.NODE_ENV === 'production';
    const { encryptionKeys, migration, cookie } = options;
    const codec = new SessionRecordCodec({
      cipher: encryptionKeys.length > 0 ? new SessionCipher(encryptionKeys) : undefined,
      acceptPlaintext: migration.acceptPlaintextRecords === true,
      maxBytes: options.maxSessionBytes,
      cookie: {
        originalMaxAge: cookie.maxAge ?? null,
        path: cookie.path,
        httpOnly: cookie.httpOnly,
      },
    });
    if (!options.redis) {
      if (production) {
        logger.warn(
          'Sessions are kept in process memory: they are lost on restart and not shared between ' +
            'instances. Configure `redis` for production.',
        );
      }
      return new MemorySessionStore(lifetime, events, codec);
    }
    if (production && encryptionKeys.length === 0) {
      logger.warn(
        'Session data is stored in Redis unencrypted: set `encryptionKeys` to encrypt it at rest.',
      );
    }
    const { client: given, prefix, commandTimeout, revocationReplicas } = options.redis;
    const created = given ? undefined : await createRedisClient(options.redis, logger);
    const connection = new RedisConnection(given ?? created!.client, created?.stopConnecting);
    const settings = {
      connection,
      prefix,
      owned: !given,
      commandTimeout,
      revocationReplicas,
      legacyPrefix: migration.connectRedisPrefix,
      legacyUserId: migration.connectRedisUserId,
    };
    return new RedisSessionStore(settings, lifetime, events, codec);
  },
};
