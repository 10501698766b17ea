import { Logger, type FactoryProvider } from '@nestjs/common';
import { SessionCipher } from '../crypto/session-cipher.js';
import { SessionLifetime } from '../lifetime/session-lifetime.js';
import type {
  ResolvedMigrationOptions,
  ResolvedRedisOptions,
  ResolvedSessionOptions,
} from '../options/resolved-session-options.js';
import { createPostgresSessionStore } from '../postgres/create-postgres-session-store.js';
import { createRedisClient } from '../redis/create-redis-client.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from '../session.constants.js';
import { GuardedSessionStore } from './guarded-session.store.js';
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
 * @internal The store, built in one place whichever it is: the one given as `store`, the Redis or
 * PostgreSQL store the options name, or the embedded memory store. Whichever it is, the module
 * holds it through GuardedSessionStore: its failures are 503s and it is closed on shutdown.
 */
export const sessionStoreProvider: FactoryProvider<Promise<SessionStore>> = {
  provide: SESSION_STORE,
  inject: [RESOLVED_SESSION_OPTIONS],
  useFactory: async (options: ResolvedSessionOptions) => {
    const logger = new Logger('SessionModule');
    const store = await storeOf(options, logger);
    if (store.kind !== 'memory' && process.env.NODE_ENV === 'production') {
      if (options.encryptionKeys.length === 0) {
        logger.warn(
          `Session data is stored in the ${store.kind} store unencrypted: set \`encryptionKeys\` to encrypt it at rest.`,
        );
      }
    }
    return new GuardedSessionStore(store, options.store ? options.storeTimeout : undefined);
  },
};

async function storeOf(options: ResolvedSessionOptions, logger: Logger): Promise<SessionStore> {
  if (options.store) return options.store;
  if (options.redis) return redisStoreOf(options.redis, options.migration, logger);
  if (options.postgres) {
    const legacyTable = options.migration.connectPgSimpleTable;
    return createPostgresSessionStore(options.postgres, { legacyTable }, logger);
  }
  if (process.env.NODE_ENV === 'production') {
    logger.warn(
      'Sessions are kept in process memory: they are lost on restart and not shared between ' +
        'instances. Configure `redis` or `postgres` for production.',
    );
  }
  return new MemorySessionStore();
}

async function redisStoreOf(
  redis: ResolvedRedisOptions,
  migration: ResolvedMigrationOptions,
  logger: Logger,
): Promise<SessionStore> {
  const { client: given, prefix, commandTimeout, revocationReplicas } = redis;
  const created = given ? undefined : await createRedisClient(redis, logger);
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
    connectRedisPrefix: migration.connectRedisPrefix,
  });
}

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
