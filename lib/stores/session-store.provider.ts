import { Logger, type FactoryProvider } from '@nestjs/common';
import { SessionCipher } from '../crypto/session-cipher.js';
import { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import { createRedisClient } from '../redis/create-redis-client.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from '../session.constants.js';
import { MemorySessionStore } from './memory-session.store.js';
import { RedisSessionStore } from './redis-session.store.js';
import { SessionRecordCodec } from './session-record.codec.js';
import { SessionRecords } from './session-records.js';
import type { SessionStore } from './session-store.interface.js';

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
export const sessionStoreProvider: FactoryProvider<Promise<SessionStore>> = {
  provide: SESSION_STORE,
  inject: [RESOLVED_SESSION_OPTIONS],
  useFactory: async (options: ResolvedSessionOptions) => {
    const logger = new Logger('SessionModule');
    const production = process.env.NODE_ENV === 'production';
    if (!options.redis) {
      if (production) {
        logger.warn(
          'Sessions are kept in process memory: they are lost on restart and not shared between ' +
            'instances. Configure `redis` for production.',
        );
      }
      return new MemorySessionStore();
    }
    if (production && options.encryptionKeys.length === 0) {
      logger.warn(
        'Session data is stored in Redis unencrypted: set `encryptionKeys` to encrypt it at rest.',
      );
    }
    const { client: given, prefix, commandTimeout, revocationReplicas } = options.redis;
    const created = given ? undefined : await createRedisClient(options.redis, logger);
    const connection = new RedisConnection(
      given ?? created!.client,
      created?.stopConnecting,
      created?.newSubscriber,
    );
    return new RedisSessionStore({
      connection,
      prefix,
      owned: !given,
      commandTimeout,
      revocationReplicas,
    });
  },
};

/** @internal The record rules over the store, with encryption when keys are given. */
export const sessionRecordsProvider: FactoryProvider<SessionRecords> = {
  provide: SessionRecords,
  inject: [RESOLVED_SESSION_OPTIONS, SESSION_STORE, SessionLifetime],
  useFactory: (options: ResolvedSessionOptions, store: SessionStore, lifetime: SessionLifetime) =>
    new SessionRecords(store, recordCodecOf(options), lifetime),
};

/** @internal How records are encoded, from the options. */
export function recordCodecOf(options: ResolvedSessionOptions): SessionRecordCodec {
  const { encryptionKeys, migration, maxSessionBytes } = options;
  return new SessionRecordCodec({
    cipher: encryptionKeys.length > 0 ? new SessionCipher(encryptionKeys) : undefined,
    acceptPlaintext: migration.acceptPlaintextRecords === true,
    maxBytes: maxSessionBytes,
  });
}
