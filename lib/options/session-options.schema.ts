import {
  ArrayNotEmpty,
  IsArray,
  IsString,
  IsBoolean,
  IsInt,
  IsNumber,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import type {
  SessionCookieOptions,
  SessionMigrationOptions,
  SessionPostgresOptions,
  SessionRedisOptions,
  SessionRoute,
} from '../session-module-options.interface.js';
import { CookieOptionsSchema } from './cookie-options.schema.js';
import { MigrationOptionsSchema } from './migration-options.schema.js';
import { NestedOptions } from './nested-options.js';
import { PostgresOptionsSchema } from './postgres-options.schema.js';
import { RedisOptionsSchema } from './redis-options.schema.js';
import type { SessionStore } from '../stores/session-store.interface.js';
import { isSessionStore, STORE_METHODS } from '../stores/session-store-shape.js';

// The longest a browser keeps a cookie (RFC 6265bis caps Expires and Max-Age at 400 days): a
// session cannot usefully outlive the cookie that carries it.
const MAX_TIMEOUT_MS = 400 * 24 * 60 * 60 * 1000;
const MAX_TIMEOUT_MESSAGE = `must be at most ${MAX_TIMEOUT_MS} ms (400 days, the longest a browser keeps a cookie): shorten it`;

const COOKIE_NAME_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const isSecret = (value: unknown): boolean =>
  (typeof value === 'string' && value.length > 0) ||
  (Array.isArray(value) &&
    value.length > 0 &&
    value.every((s) => typeof s === 'string' && s.length > 0));

/**
 * Every option of `SessionModule.forRoot()`, each declared, documented (with its `@default`,
 * whose value lives in SESSION_DEFAULTS) and validated here once; nested objects of options have
 * schemas of their own. The package exports this shape as `SessionModuleOptions`; the class
 * itself is not exported. docs/options.md says more about each option.
 */
export class SessionOptionsSchema {
  /**
   * Secret(s) that sign the session cookie, so no one can forge an ID the module would accept;
   * each at least 32 random bytes. An array rotates them: the first signs, all verify. Required
   * in production.
   * @default none (outside production, a random one per process, with a warning)
   */
  @IsOptional()
  @ValidateBy({
    name: 'isSecret',
    validator: {
      validate: isSecret,
      defaultMessage: () =>
        'must be a non-empty string, or a non-empty array of them (newest first)',
    },
  })
  secret?: string | string[];

  /**
   * Cookie name, sent as `__Host-<name>` whenever the cookie is Secure, has path `/` and no
   * domain, so a sibling subdomain or a plain-HTTP page cannot set it. A name given with a
   * `__Host-` or `__Secure-` prefix is used as is, and the browser's rules for it are checked at
   * startup.
   * @default 'sid'
   */
  @IsOptional()
  @Matches(COOKIE_NAME_TOKEN, { message: 'must be a cookie name token (letters, digits, -_.)' })
  name?: string;

  /** Cookie policy. Every field has a secure default. */
  @IsOptional()
  @ValidateNested()
  @NestedOptions(() => CookieOptionsSchema)
  cookie?: SessionCookieOptions;

  /**
   * Idle timeout in milliseconds: a session unused this long expires, enforced on the server
   * from the session's own activity stamp, whatever the cookie or a client says. At most 400 days.
   * @default 1800000 (30 minutes)
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1000, { message: 'must be at least 1000 ms' })
  @Max(MAX_TIMEOUT_MS, { message: MAX_TIMEOUT_MESSAGE })
  idleTimeout?: number;

  /**
   * Absolute lifetime in milliseconds from login, however active the session: continuous use
   * (or a stolen cookie kept busy) cannot keep it alive past this. Not shorter than `idleTimeout`;
   * at most 400 days.
   * @default 28800000 (8 hours)
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1000, { message: 'must be at least 1000 ms' })
  @Max(MAX_TIMEOUT_MS, { message: MAX_TIMEOUT_MESSAGE })
  absoluteTimeout?: number;

  /**
   * Sliding renewal: a session's activity stamp and TTL are rewritten only once this fraction of
   * the idle window has passed since the last renewal, so read-only requests cost no write. The
   * effective idle timeout is then between `(1 - renewalFraction) * idleTimeout` and
   * `idleTimeout`. Between 0.01 and 0.5.
   * @default 0.1
   */
  @IsOptional()
  @IsNumber({}, { message: 'must be a number' })
  @Min(0.01, { message: 'must be at least 0.01' })
  @Max(0.5, { message: 'must be at most 0.5 (at 1 no activity would ever extend a session)' })
  renewalFraction?: number;

  /**
   * At most this many live sessions per user: a login beyond it revokes the user's oldest
   * sessions (by creation time). The default bounds each user's index (no account can grow it
   * without end by logging in again and again) far above what a person's devices need; set a
   * small number (say 5) for a real limit. At most 100000.
   * @default 10000
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  @Max(100_000, { message: 'must be at most 100000' })
  maxSessionsPerUser?: number;

  /**
   * Apply RevokedSessionGuard to every route (mark open routes with `@Public()`). Off, put
   * `@UseGuards(RevokedSessionGuard)` on the routes that need a logged-in session.
   * @default false
   */
  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  globalGuard?: boolean;

  /**
   * Apply IdleTimeoutInterceptor (401 "Session expired") to every route. Set `false` to apply it
   * per route with `@UseInterceptors(IdleTimeoutInterceptor)`; timeouts and renewal are enforced
   * either way.
   * @default true
   */
  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  globalInterceptor?: boolean;

  /**
   * Redis store, shared by every instance of the app.
   * @default none (the embedded in-memory store: per process, lost on restart)
   */
  @IsOptional()
  @ValidateNested()
  @NestedOptions(() => RedisOptionsSchema)
  redis?: SessionRedisOptions;

  /**
   * PostgreSQL store, shared by every instance of the app: tables created at startup, expired rows
   * swept, ended sessions announced with LISTEN/NOTIFY (docs/postgres.md). Give at most one of
   * `store`, `redis` and `postgres`.
   * @default none (the embedded in-memory store: per process, lost on restart)
   */
  @IsOptional()
  @ValidateNested()
  @NestedOptions(() => PostgresOptionsSchema)
  postgres?: SessionPostgresOptions;

  /**
   * A store of your own, for a database the module has no built-in store for: any object that
   * implements `SessionStore` (docs/stores.md) and passes the contract suite of
   * `nestjs-secure-session/testing`. The module closes it on shutdown. Give at most one of
   * `store`, `redis` and `postgres`.
   * @default none (the built-in store that `redis` or `postgres` names, else the memory store)
   */
  @IsOptional()
  @ValidateBy({
    name: 'isSessionStore',
    validator: {
      validate: isSessionStore,
      defaultMessage: () =>
        `must implement SessionStore: a \`kind\` and the methods ${STORE_METHODS.join(', ')}`,
    },
  })
  store?: SessionStore;

  /**
   * Longest wait, in ms, for any call to a store given as `store`; past it the request gets 503.
   * The built-in stores have their own (`redis.commandTimeout`, `postgres.queryTimeout`).
   * @default 2000
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(10, { message: 'must be at least 10' })
  @Max(60_000, { message: 'must be at most 60000' })
  storeTimeout?: number;

  /**
   * Keys that encrypt session data at rest with AES-256-GCM, newest first: the first encrypts,
   * all decrypt, so a key can be rotated in without logging anyone out, and retired later (its
   * sessions then read as logged out). Each is `[<keyId>:]<base64 of 32 random bytes>`
   * (`openssl rand -base64 32`); without a key ID one is derived from the key. Keep them apart
   * from `secret`.
   * @default none (stored in plaintext; a warning in production with Redis)
   */
  @IsOptional()
  @IsArray({ message: 'must be an array of keys, newest first' })
  @ArrayNotEmpty({ message: 'must hold at least one key' })
  @IsString({ each: true, message: 'must hold only strings' })
  encryptionKeys?: string[];

  /**
   * Largest session, in bytes of JSON, a write may store; a larger one is refused (413).
   * @default 8192
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(256, { message: 'must be at least 256' })
  @Max(1_048_576, { message: 'must be at most 1048576' })
  maxSessionBytes?: number;

  /** Moving sessions from connect-redis or from before encryption. */
  @IsOptional()
  @ValidateNested()
  @NestedOptions(() => MigrationOptionsSchema)
  migration?: SessionMigrationOptions;

  /**
   * Origins besides the app's own (`<protocol>://<host>` of the request) that SameOriginGuard
   * accepts state-changing requests from, e.g. `['https://admin.example.com']`.
   * @default [] (the app's own origin only)
   */
  @IsOptional()
  @IsArray({ message: 'must be an array of origins' })
  @Matches(/^https?:\/\/[^/\s]+$/, {
    each: true,
    message: "must hold origins such as 'https://app.example.com' (scheme and host, no path)",
  })
  allowedOrigins?: string[];

  /**
   * Routes with session handling. Elsewhere (and outside `cookie.path`) a request has no
   * session: `@Session()` and the guard answer 401 there.
   * @default ['{*path}'] (every route)
   */
  @IsOptional()
  @IsArray({ message: 'must be an array of routes' })
  forRoutes?: SessionRoute[];

  /**
   * Routes without session handling, such as a health check: no store read there.
   * @default []
   */
  @IsOptional()
  @IsArray({ message: 'must be an array of routes' })
  exclude?: SessionRoute[];

  /**
   * Accept in production what is otherwise refused there (no or weak secret, non-Secure or
   * script-readable cookie, `SameSite=None`). Every start then logs a warning. Never set it
   * lightly.
   * @default false
   */
  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  dangerouslyAllowInsecureProductionConfig?: boolean;
}
