import type { EncryptionKey } from '../crypto/encryption-keys.js';
import type { SessionRedisClient } from '../redis/redis-connection.js';
import type {
  SessionMigrationOptions,
  SessionRedisClusterOptions,
  SessionRedisSentinelOptions,
  SessionRoute,
} from '../session-module-options.interface.js';

/**
 * The options after validation, with every default filled in, as `@InjectSessionOptions()` gives
 * them (e.g. to a subclass of SameOriginGuard).
 */
export interface ResolvedSessionOptions {
  /** Newest first: the first signs, all verify. */
  secrets: string[];
  /** Cookie name on requests seen as HTTPS, and on plain HTTP when `secure` is `'auto'`. */
  cookieNames: { secure: string; plain: string };
  cookie: {
    secure: boolean | 'auto';
    httpOnly: boolean;
    sameSite: 'lax' | 'strict' | 'none';
    path: string;
    domain?: string;
    maxAge?: number;
  };
  idleTimeout: number;
  absoluteTimeout: number;
  renewalFraction: number;
  maxSessionsPerUser?: number;
  globalGuard: boolean;
  globalInterceptor: boolean;
  redis?: {
    url?: string;
    cluster?: SessionRedisClusterOptions;
    sentinel?: SessionRedisSentinelOptions;
    client?: SessionRedisClient;
    prefix: string;
    commandTimeout: number;
    connectTimeout: number;
    maxQueuedCommands: number;
    revocationReplicas: number;
  };
  /** Derived data-encryption keys, newest first; empty when data is stored in plaintext. */
  encryptionKeys: EncryptionKey[];
  maxSessionBytes: number;
  migration: SessionMigrationOptions;
  allowedOrigins: string[];
  forRoutes: SessionRoute[];
  exclude: SessionRoute[];
}

/** @internal Defaults in one place. */
export const SESSION_DEFAULTS = {
  name: 'sid',
  cookie: { secure: true, httpOnly: true, sameSite: 'lax', path: '/' },
  idleTimeout: 30 * 60 * 1000,
  absoluteTimeout: 8 * 60 * 60 * 1000,
  renewalFraction: 0.1,
  globalGuard: false,
  globalInterceptor: true,
  redis: {
    prefix: 'session:',
    commandTimeout: 2000,
    connectTimeout: 2000,
    maxQueuedCommands: 1000,
    revocationReplicas: 0,
  },
  maxSessionBytes: 8192,
  forRoutes: ['{*path}'],
} as const;
