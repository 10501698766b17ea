import type { EncryptionKey } from '../crypto/encryption-keys.js';
import type {
  SessionCookieOptions,
  SessionMigrationOptions,
  SessionModuleOptions,
  SessionPostgresOptions,
  SessionRedisOptions,
} from '../session-module-options.interface.js';
import type { SESSION_DEFAULTS } from './session-defaults.js';

/** `T` with every option that has a default in `D` always present. */
type WithDefaults<T, D> = Omit<T, keyof D> & Required<Pick<T, Extract<keyof D, keyof T>>>;

/** @internal Options the resolver turns into something else (another name or type). */
export const TRANSFORMED_OPTIONS = [
  'secret',
  'name',
  'cookie',
  'redis',
  'postgres',
  'encryptionKeys',
  'migration',
  'dangerouslyAllowInsecureProductionConfig',
] as const satisfies readonly (keyof SessionModuleOptions)[];

/** The `cookie` options with their defaults filled in. */
export interface ResolvedCookieOptions extends WithDefaults<
  SessionCookieOptions,
  typeof SESSION_DEFAULTS.cookie
> {}

/** The `redis` options with their defaults filled in. */
export interface ResolvedRedisOptions extends WithDefaults<
  SessionRedisOptions,
  typeof SESSION_DEFAULTS.redis
> {}

/** The `postgres` options with their defaults filled in. */
export interface ResolvedPostgresOptions extends WithDefaults<
  SessionPostgresOptions,
  typeof SESSION_DEFAULTS.postgres
> {}

/** The `migration` options with their defaults filled in. */
export interface ResolvedMigrationOptions extends WithDefaults<
  SessionMigrationOptions,
  typeof SESSION_DEFAULTS.migration
> {}

/**
 * The options after validation, with every default filled in, as `@InjectSessionOptions()` gives
 * them (e.g. to a subclass of SameOriginGuard). Options not named below are as given, or their
 * default.
 */
export interface ResolvedSessionOptions extends WithDefaults<
  Omit<SessionModuleOptions, (typeof TRANSFORMED_OPTIONS)[number]>,
  typeof SESSION_DEFAULTS
> {
  /** Newest first: the first signs, all verify. */
  secrets: string[];
  /** Cookie name on requests seen as HTTPS, and on plain HTTP when `secure` is `'auto'`. */
  cookieNames: { secure: string; plain: string };
  cookie: ResolvedCookieOptions;
  /** Absent unless sessions live in Redis. */
  redis?: ResolvedRedisOptions;
  /** Absent unless sessions live in PostgreSQL. */
  postgres?: ResolvedPostgresOptions;
  /** Derived data-encryption keys, newest first; empty when data is stored in plaintext. */
  encryptionKeys: EncryptionKey[];
  migration: ResolvedMigrationOptions;
}
