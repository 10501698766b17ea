import type { RequestMethod } from '@nestjs/common';
import type { CookieOptionsSchema } from './options/cookie-options.schema.js';
import type { MigrationOptionsSchema } from './options/migration-options.schema.js';
import type { PostgresOptionsSchema } from './options/postgres-options.schema.js';
import type {
  RedisClusterOptionsSchema,
  RedisOptionsSchema,
  RedisSentinelOptionsSchema,
} from './options/redis-options.schema.js';
import type { SessionOptionsSchema } from './options/session-options.schema.js';

// Each option is declared, documented (with its default) and validated once, on a schema class
// in lib/options/; these interfaces are the names the package gives those shapes. Every option
// is described at length in docs/options.md.

/**
 * A route pattern as Nest writes them (`'health'`, `'auth/{*path}'`), or one with a method
 * (`{ path: 'health', method: RequestMethod.GET }`), matched against the request's whole path.
 */
export type SessionRoute = string | { path: string; method: RequestMethod };
/** @deprecated Use `SessionRoute`. */
export type SessionExcludedRoute = SessionRoute;

/** Cookie policy of the session cookie. Every field has a secure default. */
export interface SessionCookieOptions extends CookieOptionsSchema {}

/** A Redis Cluster the module connects to. */
export interface SessionRedisClusterOptions extends RedisClusterOptionsSchema {}

/** A primary managed by Redis Sentinel, which the module follows across failovers. */
export interface SessionRedisSentinelOptions extends RedisSentinelOptionsSchema {}

/**
 * Where sessions are kept: give exactly one of `url`, `cluster`, `sentinel` or `client`.
 * Without it the embedded in-memory store is used.
 */
export interface SessionRedisOptions extends RedisOptionsSchema {}

/**
 * Where sessions are kept in PostgreSQL: give exactly one of `url` or `pool` (docs/postgres.md).
 * Without `redis`, `postgres` or `store`, the embedded in-memory store is used.
 */
export interface SessionPostgresOptions extends PostgresOptionsSchema {}

/** Moving sessions from another setup without logging anyone out. */
export interface SessionMigrationOptions extends MigrationOptionsSchema {}

/** Options of `SessionModule.forRoot()`, or what a `forRootAsync()` factory returns. */
export interface SessionModuleOptions extends SessionOptionsSchema {}

/** Implemented by a class given to `forRootAsync({ useClass })` or `useExisting`. */
export interface SessionOptionsFactory {
  createSessionOptions(): SessionModuleOptions | Promise<SessionModuleOptions>;
}
