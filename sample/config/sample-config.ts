/** The HTTP platforms the sample runs on (`SAMPLE_PLATFORM`); Express unless told otherwise. */
export const SAMPLE_PLATFORMS = ['express', 'fastify'] as const;
export type SamplePlatformName = (typeof SAMPLE_PLATFORMS)[number];

/** Everything the sample reads from the environment, parsed and checked once at startup. */
export interface SampleConfig {
  /** `SAMPLE_PLATFORM`: `express` (default) or `fastify`. */
  platform: SamplePlatformName;
  port: number;
  host: string;
  production: boolean;
  /** `REDIS_URL`: one Redis. */
  redisUrl?: string;
  /** `REDIS_CLUSTER_NODES`: comma-separated `host:port` seeds of a Redis Cluster. */
  redisClusterNodes?: string[];
  /** `REDIS_SENTINELS` (comma-separated `host:port`) and `REDIS_SENTINEL_NAME` (default `mymaster`). */
  redisSentinel?: { name: string; sentinels: string[] };
  /** `DATABASE_URL`: PostgreSQL (`postgres://…`) instead of Redis. */
  databaseUrl?: string;
  /** `SESSION_TABLE_PREFIX`: start of the PostgreSQL table names, so several apps can share a schema. */
  tablePrefix?: string;
  /** `SESSION_LEGACY_TABLE`: connect-pg-simple table (e.g. `session`) to migrate sessions from. */
  legacyTable?: string;
  /** `SESSION_REVOCATION_REPLICAS`: replicas that must confirm a logout or revocation (WAIT). */
  revocationReplicas?: number;
  /** Prefix of the sample's Redis keys (`SESSION_KEY_PREFIX`), so several apps can share a Redis. */
  redisKeyPrefix?: string;
  sessionSecrets?: string[];
  /** `SESSION_ENCRYPTION_KEYS`: comma-separated `[<keyId>:]<base64 of 32 bytes>`, newest first. */
  encryptionKeys?: string[];
  /** `SESSION_LEGACY_PREFIX`: connect-redis key prefix (e.g. `sess:`) to migrate sessions from. */
  legacyPrefix?: string;
  /** `SESSION_ACCEPT_PLAINTEXT=true`: read sessions stored before encryption keys were set. */
  acceptPlaintextRecords?: boolean;
  idleTimeout?: number;
  absoluteTimeout?: number;
  /** `SESSION_MAX_PER_USER`: a login beyond it revokes the user's oldest sessions. */
  maxSessionsPerUser?: number;
  /**
   * `SESSION_RECENT_LOGIN_MS` (default 5 minutes): how recent a sign-in or password confirmation
   * must be for a sensitive action, such as changing the email (`@RecentLogin()`). A decorator's
   * argument is fixed where its class is declared, so the classes of those handlers are declared
   * per app, by functions given this (`emailController(recentLoginMs)`...); an app with a fixed
   * window writes `@RecentLogin(5 * 60_000)` on an ordinary class.
   */
  recentLoginMs: number;
  /** `TRUST_PROXY`: which proxies to believe about the client (Express `trust proxy`, Fastify `trustProxy`). */
  trustProxy?: boolean | number | string;
}

type Env = Record<string, string | undefined>;

/** OWASP ASVS 7.5.1's "recent": a sensitive action within 5 minutes of proving who you are. */
export const DEFAULT_RECENT_LOGIN_MS = 5 * 60_000;

/** Reads the sample's configuration; a malformed variable stops startup with a clear message. */
export function loadSampleConfig(env: Env = process.env): SampleConfig {
  const stores = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'DATABASE_URL'];
  const topologies = stores.filter((n) => env[n]);
  if (topologies.length > 1) {
    throw new Error(`Set only one of ${topologies.join(', ')}: they name different stores`);
  }
  const sentinels = list(env.REDIS_SENTINELS);
  const platform = platformOf(env.SAMPLE_PLATFORM);
  const proxies = trustProxy(env.TRUST_PROXY);
  // Fastify refuses to trust a hop count (it cannot tell a proxy from a client that came
  // directly): it would silently trust nothing, and a Secure cookie would never be sent.
  if (platform === 'fastify' && typeof proxies === 'number') {
    throw new Error(
      `TRUST_PROXY on Fastify names the proxies' addresses (e.g. 'loopback' or '10.0.0.0/8'), not a hop count: got '${env.TRUST_PROXY}'`,
    );
  }
  return {
    platform,
    port: integer(env, 'PORT') ?? 3000,
    host: env.HOST || '127.0.0.1',
    production: env.NODE_ENV === 'production',
    redisUrl: env.REDIS_URL || undefined,
    redisClusterNodes: list(env.REDIS_CLUSTER_NODES),
    redisSentinel: sentinels && { name: env.REDIS_SENTINEL_NAME || 'mymaster', sentinels },
    redisKeyPrefix: env.SESSION_KEY_PREFIX || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    tablePrefix: env.SESSION_TABLE_PREFIX || undefined,
    legacyTable: env.SESSION_LEGACY_TABLE || undefined,
    revocationReplicas: integer(env, 'SESSION_REVOCATION_REPLICAS'),
    sessionSecrets: list(env.SESSION_SECRET),
    encryptionKeys: list(env.SESSION_ENCRYPTION_KEYS),
    legacyPrefix: env.SESSION_LEGACY_PREFIX || undefined,
    acceptPlaintextRecords: env.SESSION_ACCEPT_PLAINTEXT === 'true',
    idleTimeout: integer(env, 'SESSION_IDLE_TIMEOUT'),
    absoluteTimeout: integer(env, 'SESSION_ABSOLUTE_TIMEOUT'),
    maxSessionsPerUser: integer(env, 'SESSION_MAX_PER_USER'),
    recentLoginMs: positive(env, 'SESSION_RECENT_LOGIN_MS') ?? DEFAULT_RECENT_LOGIN_MS,
    trustProxy: proxies,
  };
}

function platformOf(raw: string | undefined): SamplePlatformName {
  if (raw === undefined || raw === '') return 'express';
  const name = SAMPLE_PLATFORMS.find((known) => known === raw);
  if (!name) {
    throw new Error(
      `SAMPLE_PLATFORM must be ${SAMPLE_PLATFORMS.map((p) => `'${p}'`).join(' or ')}, got '${raw}'`,
    );
  }
  return name;
}

function list(raw: string | undefined): string[] | undefined {
  const items = raw
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

function integer(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return Number(raw);
}

function positive(env: Env, name: string): number | undefined {
  const value = integer(env, name);
  if (value !== undefined && (value < 1 || !Number.isSafeInteger(value))) {
    throw new Error(
      `${name} must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, got '${env[name]}'`,
    );
  }
  return value;
}

// Express's `trust proxy` and Fastify's `trustProxy` both take a boolean, a hop count, or
// comma-separated addresses, subnets and names such as 'loopback' (proxy-addr's), alike.
function trustProxy(raw: string | undefined): SampleConfig['trustProxy'] {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}
