import type { RequestMethod } from '@nestjs/common';
import type { SessionRedisClient } from './redis/redis-connection.js';

/**
 * A route pattern as Nest writes them (`'health'`, `'auth/{*path}'`), or one with a method
 * (`{ path: 'health', method: RequestMethod.GET }`), matched against the request's whole path.
 */
export type SessionRoute = string | { path: string; method: RequestMethod };
/** @deprecated Use `SessionRoute`. */
export type SessionExcludedRoute = SessionRoute;

/** Cookie policy of the session cookie. Every field has a secure default. */
export interface SessionCookieOptions {
  /**
   * Send the cookie only over HTTPS. `'auto'` sends it with `Secure` on HTTPS requests and
   * without it on plain HTTP (for local development). Default `true`. Production accepts only `true`.
   */
  secure?: boolean | 'auto';
  /** Hide the cookie from `document.cookie`. Default `true`. Production accepts only `true`. */
  httpOnly?: boolean;
  /** `'lax'` (default) or `'strict'`. `'none'` is refused in production. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** Cookie path. Default `'/'`; any other path gives up the `__Host-` prefix. */
  path?: string;
  /** Cookie domain. Default: none (host-only), which keeps the `__Host-` prefix possible. */
  domain?: string;
  /**
   * Lifetime of a persistent cookie in milliseconds. Default: none, a browser-session cookie
   * without `Expires`; the server-side timeouts still apply.
   */
  maxAge?: number;
}

/** A Redis Cluster the module connects to. */
export interface SessionRedisClusterOptions {
  /**
   * Some of the cluster's nodes, as `host:port` or `redis://[user:password@]host:port` (`rediss://`
   * for TLS); the client finds the rest. Credentials and TLS of the first apply to every node.
   */
  rootNodes: string[];
}

/** A primary managed by Redis Sentinel, which the module follows across failovers. */
export interface SessionRedisSentinelOptions {
  /** The name the Sentinels monitor the primary under (`sentinel monitor <name> ...`). */
  name: string;
  /**
   * Some of the Sentinels, as `host:port` or `redis://[user:password@]host:port` (their
   * credentials, if they need any).
   */
  sentinels: string[];
  /** Username on the primary and replicas, if they need one. */
  username?: string;
  /** Password of the primary and replicas, if they need one. */
  password?: string;
}

/**
 * Where sessions are kept: give exactly one of `url`, `cluster`, `sentinel` or `client`.
 * Without it the embedded in-memory store is used.
 */
export interface SessionRedisOptions {
  /** One Redis, as a `redis://` or `rediss://` URL. The module creates the client and closes it on shutdown. */
  url?: string;
  /** A Redis Cluster. The module creates the client and closes it on shutdown. */
  cluster?: SessionRedisClusterOptions;
  /** A Sentinel-managed primary. The module creates the client and closes it on shutdown. */
  sentinel?: SessionRedisSentinelOptions;
  /**
   * An existing, connected node-redis client: `createClient()`, `createCluster()` or
   * `createSentinel()`. The module uses it and leaves it open on shutdown.
   */
  client?: SessionRedisClient;
  /** Prefix of every Redis key the module writes. Default `'session:'`. */
  prefix?: string;
  /** Milliseconds a Redis command may take before the request gets a 503. Default `2000`. */
  commandTimeout?: number;
  /** Milliseconds to wait for a TCP connection to Redis, and at most this long at startup. Default `2000`. */
  connectTimeout?: number;
  /**
   * How many commands may wait for Redis replies at once (when it is slow); more fail at once
   * with a 503, per node. While Redis is unreachable, commands fail at once; with Sentinel they
   * wait while node-redis looks for the primary, then end with a 503 after `commandTimeout`
   * and are dropped unsent. Default `1000`.
   */
  maxQueuedCommands?: number;
  /**
   * How many replicas must have a revocation (logout, revoke, login's retired ID) before it is
   * acknowledged: the module sends `WAIT` after it, and answers 503 when fewer replicas confirm
   * within 100 ms (or half of `commandTimeout`, if shorter). Replication is asynchronous, so
   * without it a failover right after a logout can bring the session back. The cost: while a
   * primary has fewer replicas, every revocation on it gets 503 and holds the other commands on
   * its connection for up to that wait. Default `0` (do not wait).
   */
  revocationReplicas?: number;
}

/** Moving sessions from another setup without logging anyone out. */
export interface SessionMigrationOptions {
  /**
   * Key prefix of an existing connect-redis store (its default is `'sess:'`) on the same Redis.
   * A session found there on first use is stored in this module's form (hashed key, encrypted)
   * and deleted there. Needs the same cookie name and secret as before. Remove the option once
   * an absolute lifetime has passed.
   */
  connectRedisPrefix?: string;
  /**
   * How to find the user a migrated connect-redis session belongs to (e.g. `(s) => s.user?.id`,
   * or `(s) => s.passport?.user` with Passport), so it stays logged in for RevokedSessionGuard
   * and joins the user's index. Without it, migrated sessions keep their data but are anonymous.
   */
  connectRedisUserId?: (legacySession: Record<string, any>) => string | number | undefined;
  /**
   * With `encryptionKeys`, still read records this module wrote before encryption was turned on;
   * each is encrypted on its next write. Without it they read as no session. Remove it once an
   * absolute lifetime has passed.
   */
  acceptPlaintextRecords?: boolean;
}

/** Options of `SessionModule.forRoot()`, or what a `forRootAsync()` factory returns. */
export interface SessionModuleOptions {
  /**
   * Secret(s) that sign the session cookie, each at least 32 bytes. An array rotates them: the
   * first signs, all verify. Required in production; in development a random one is made.
   */
  secret?: string | string[];
  /**
   * Cookie name. Default `'sid'`, sent as `__Host-sid` whenever the cookie is Secure, has path
   * `/` and no domain. A name with a `__Host-` prefix given here is used as is.
   */
  name?: string;
  /** Cookie policy. */
  cookie?: SessionCookieOptions;
  /** Idle timeout in milliseconds: a session unused this long expires. Default 30 minutes. */
  idleTimeout?: number;
  /** Absolute lifetime in milliseconds from login, however active. Default 8 hours. */
  absoluteTimeout?: number;
  /**
   * Sliding renewal: a session's activity stamp and TTL are rewritten only once this fraction of
   * the idle window has passed since the last renewal, so read-only requests cost no write. The
   * effective idle timeout is then between `(1 - renewalFraction) * idleTimeout` and `idleTimeout`.
   * Between 0.01 and 0.5; default `0.1`.
   */
  renewalFraction?: number;
  /**
   * At most this many live sessions per user: a login beyond it revokes the user's oldest
   * sessions (by creation time). Default: no limit.
   */
  maxSessionsPerUser?: number;
  /**
   * Apply RevokedSessionGuard to every route (mark open routes with `@Public()`). Default `false`:
   * put `@UseGuards(RevokedSessionGuard)` on the routes that need a logged-in session.
   */
  globalGuard?: boolean;
  /**
   * Apply IdleTimeoutInterceptor (timeouts and sliding renewal) to every route. Default `true`.
   * Set `false` to apply it per route with `@UseInterceptors(IdleTimeoutInterceptor)`.
   */
  globalInterceptor?: boolean;
  /** Redis store. Without it sessions live in the embedded in-memory store. */
  redis?: SessionRedisOptions;
  /**
   * Keys that encrypt session data at rest with AES-256-GCM, newest first: the first encrypts,
   * all decrypt, so a key can be rotated in without logging anyone out, and retired later (its
   * sessions then read as logged out). Each is `[<keyId>:]<base64 of 32 random bytes>`
   * (`openssl rand -base64 32`); without a key ID one is derived from the key. Keep them apart
   * from `secret`. Default: none, stored in plaintext (a warning in production).
   */
  encryptionKeys?: string[];
  /** Largest session, in bytes of JSON, a write may store; a larger one is refused (413). Default 8192. */
  maxSessionBytes?: number;
  /** Moving sessions from connect-redis or from before encryption. */
  migration?: SessionMigrationOptions;
  /**
   * Origins besides the app's own (`<protocol>://<host>` of the request) that SameOriginGuard
   * accepts state-changing requests from, e.g. `['https://admin.example.com']`. Default: none.
   */
  allowedOrigins?: string[];
  /**
   * Routes with session handling. Default: every route. Elsewhere (and outside `cookie.path`) a
   * request has no session: `@Session()` and the guard answer 401 there.
   */
  forRoutes?: SessionRoute[];
  /** Routes without session handling, such as a health check: no store read there. */
  exclude?: SessionRoute[];
  /**
   * Accept in production what is otherwise refused there (no or weak secret, non-Secure or
   * script-readable cookie, `SameSite=None`). Every start then logs a warning. Never set it lightly.
   */
  dangerouslyAllowInsecureProductionConfig?: boolean;
}

/** Implemented by a class given to `forRootAsync({ useClass })` or `useExisting`. */
export interface SessionOptionsFactory {
  createSessionOptions(): SessionModuleOptions | Promise<SessionModuleOptions>;
}
