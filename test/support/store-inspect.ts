import { execFile, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { inject } from 'vitest';
import { postgresNames, storeStatements } from '../../lib/postgres/postgres-sql.js';
import { SESSION_STORE } from '../../lib/session.constants.js';
import type { GuardedSessionStore } from '../../lib/stores/guarded-session.store.js';
import { startPostgresServer } from './postgres-server.js';
import { redisStoreInspector, redisStoreServer } from './redis-inspect.js';
import { SAMPLE_PLATFORMS, type SamplePlatformName, type SampleUnderTest } from './sample-app.js';

/** The stores the sample runs on: in its process, one Redis, PostgreSQL. */
export const SAMPLE_STORES = ['memory', 'redis', 'postgres'] as const;
export type SampleStoreName = (typeof SAMPLE_STORES)[number];

/**
 * The [store, platform] pairs a suite runs the sample on, for `describe.each`: Redis on every
 * platform, as before there were other stores; PostgreSQL on Express and memory on Fastify, so each
 * platform runs on two stores. A platform adapter and a store never meet (the engine sits between
 * them): a store that every platform ran again would double a suite's time for nothing new.
 */
export function sampleMatrix<Store extends SampleStoreName>(
  stores: readonly Store[],
): (readonly [Store, SamplePlatformName])[] {
  const platforms: Record<SampleStoreName, readonly SamplePlatformName[]> = {
    redis: SAMPLE_PLATFORMS,
    postgres: ['express'],
    memory: ['fastify'],
  };
  return stores.flatMap((store) => platforms[store].map((platform) => [store, platform] as const));
}

/**
 * What one sample deployment keeps its sessions in: a store and, in Redis or PostgreSQL, a key or
 * table prefix of its own. Instances started with the same `env` share their sessions.
 */
export interface StoreDeployment {
  readonly store: SampleStoreName;
  /** The sample's environment variables that say where sessions go (give them to startSample). */
  readonly env: Record<string, string | undefined>;
  /** Looks at what the deployment stored (on memory: what `sample`, the only one, stored). */
  inspect(sample: SampleUnderTest): Promise<StoreInspector>;
}

/** A new deployment on `store`: the shared Redis or PostgreSQL of the test run, or `url`. */
export function storeDeployment(store: SampleStoreName, url?: string): StoreDeployment {
  if (store === 'redis') {
    const env = {
      REDIS_URL: url ?? inject('redisUrl'),
      SESSION_KEY_PREFIX: `test-${randomUUID()}:`,
    };
    return {
      store,
      env,
      inspect: () => redisStoreInspector(env.REDIS_URL, env.SESSION_KEY_PREFIX),
    };
  }
  if (store === 'postgres') {
    const env = {
      DATABASE_URL: url ?? inject('postgresUrl'),
      SESSION_TABLE_PREFIX: `t${randomBytes(6).toString('hex')}_`,
    };
    return {
      store,
      env,
      inspect: () => postgresStoreInspector(env.DATABASE_URL, env.SESSION_TABLE_PREFIX),
    };
  }
  return { store, env: {}, inspect: async (sample) => memoryStoreInspector(sample) };
}

/**
 * What a deployment stored, read as someone with access to the store would read it (Redis: its
 * keys; PostgreSQL: the module's tables; memory: the store's maps in the sample's process), in the
 * same terms whatever the store. A handle is the session's storage name (`handleOf(cookie)`).
 */
export interface StoreInspector {
  readonly store: SampleStoreName;
  /** The bytes stored as a session's record; null when there is none (or only its tombstone). */
  record(handle: string): Promise<Buffer | null>;
  /** Overwrites a stored record with other bytes, keeping its expiry (fails when there is none). */
  replaceRecord(handle: string, record: Buffer | string): Promise<void>;
  /** Whether anything is stored under a handle: a record or a tombstone, expired or not. */
  holds(handle: string): Promise<boolean>;
  /** Milliseconds until the store drops a session's record; null if none, Infinity if never. */
  recordTtl(handle: string): Promise<number | null>;
  /** Milliseconds until the store drops a session's tombstone; null if none, Infinity if never. */
  tombstoneTtl(handle: string): Promise<number | null>;
  /**
   * Everything stored, named as Redis names it: `s:{handle}` (a record), `s:{handle}:revoked` (a
   * tombstone), `u:{user key}` (a user's index) and `u:{user key} s:{handle}` (one entry of it).
   */
  entries(): Promise<string[]>;
  /** What a leaked dump or backup of the store shows (PostgreSQL's shows bytes in hex). */
  dump(): Promise<string>;
  /** Starts counting the commands or statements the sample sends (on a store of the test's own). */
  resetCounts(): Promise<void>;
  /** Commands (Redis) or statements (PostgreSQL, by name) sent since resetCounts(), per kind. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A Redis or PostgreSQL server of the test's own, that it can stop, stall and start again. */
export interface StoreServer {
  readonly url: string;
  /** Stops the server (signalled before stop() returns), keeping its data for start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Up but answering nothing, for `ms` or until resume(). */
  stall(ms: number): Promise<void>;
  resume(): Promise<void>;
  /** Stops it for good. */
  close(): Promise<void>;
}

/** Starts a server of the test's own; on PostgreSQL with pg_stat_statements, for counts(). */
export function startStoreServer(store: 'redis' | 'postgres'): Promise<StoreServer> {
  return store === 'redis' ? redisStoreServer() : postgresStoreServer();
}

// Marks the inspector's own statements, so counts() leaves them out.
const OWN = '/* store-inspect */';

async function postgresStoreInspector(url: string, prefix: string): Promise<StoreInspector> {
  const names = postgresNames('public', prefix);
  const client = new pg.Client(url);
  client.on('error', () => undefined);
  await client.connect();
  const sql = async (text: string, values: unknown[] = []) =>
    (await client.query(`${OWN} ${text}`, values)).rows;
  const ttl = async (handle: string, tombstone: boolean) => {
    const rows = await sql(
      `SELECT (extract(epoch FROM expires_at - now()) * 1000)::float8 AS ttl FROM ${names.sessions}
       WHERE handle = $1 AND (record IS NULL) = $2`,
      [handle, tombstone],
    );
    return rows.length === 0 ? null : (rows[0].ttl as number);
  };
  const known = Object.entries(storeStatements(names)).map(
    ([name, { text }]) => [normalized(text), name] as const,
  );
  // Not a request's: the sweeper's timer, and /health's and the LISTEN connection's `SELECT 1`.
  const background = new Set(['sweepSessions', 'sweepUserSessions', 'ping']);
  return {
    store: 'postgres',
    async record(handle) {
      const rows = await sql(
        `SELECT record FROM ${names.sessions} WHERE handle = $1 AND record IS NOT NULL AND expires_at > now()`,
        [handle],
      );
      return (rows[0]?.record as Buffer | undefined) ?? null;
    },
    async replaceRecord(handle, record) {
      const { rowCount } = await client.query(
        `${OWN} UPDATE ${names.sessions} SET record = $2 WHERE handle = $1 AND record IS NOT NULL`,
        [handle, Buffer.from(record)],
      );
      if (rowCount !== 1) throw new Error(`no record stored under ${handle} to replace`);
    },
    holds: async (handle) =>
      (await sql(`SELECT 1 FROM ${names.sessions} WHERE handle = $1`, [handle])).length > 0,
    recordTtl: (handle) => ttl(handle, false),
    tombstoneTtl: (handle) => ttl(handle, true),
    async entries() {
      const sessions = await sql(`SELECT handle, record IS NULL AS revoked FROM ${names.sessions}`);
      const index = await sql(`SELECT user_key, handle FROM ${names.userSessions}`);
      return [
        ...sessions.map(({ handle, revoked }) => `s:{${handle}}${revoked ? ':revoked' : ''}`),
        ...new Set(index.map(({ user_key }) => `u:{${user_key}}`)),
        ...index.map(({ user_key, handle }) => `u:{${user_key}} s:{${handle}}`),
      ];
    },
    // pg_dump of the module's tables over TCP, as a backup of the database would hold them.
    async dump() {
      const tables = [names.plain.sessions, names.plain.userSessions].flatMap((t) => ['-t', t]);
      const { stdout } = await promisify(execFile)(pgDump(), ['--dbname', url, ...tables], {
        maxBuffer: 256 * 1024 * 1024,
      });
      if (!stdout.includes(`${prefix}sessions (handle`)) {
        throw new Error(`pg_dump printed no sessions table:\n${stdout}`);
      }
      return stdout;
    },
    async resetCounts() {
      await sql('SELECT pg_stat_statements_reset()');
    },
    async counts() {
      const rows = await sql('SELECT query, calls FROM pg_stat_statements');
      const counts: Record<string, number> = {};
      for (const { query, calls } of rows as { query: string; calls: string }[]) {
        if (query.startsWith(OWN)) continue;
        const name = known.find(([text]) => text === normalized(query))?.[1];
        // A statement that is not the store's, on its tables, is counted under its text.
        const kind = name ?? (query.includes(prefix) ? query : undefined);
        if (kind === undefined || background.has(kind)) continue;
        counts[kind] = (counts[kind] ?? 0) + Number(calls);
      }
      return counts;
    },
    close: () => client.end(),
  };
}

// pg_stat_statements shows a statement's constants as $n: compare texts without constants.
function normalized(text: string): string {
  return text
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+|-?\b\d+\b|\b(?:true|false)\b/gi, '?')
    .replace(/\s+/g, ' ')
    .trim();
}

/** PG_BIN's pg_dump, else the newest of Debian's (/usr/lib/postgresql/N/bin), else PATH's. */
function pgDump(): string {
  const dirs = process.env.PG_BIN ? [process.env.PG_BIN] : [];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  return dirs.map((dir) => join(dir, 'pg_dump')).find((path) => existsSync(path)) ?? 'pg_dump';
}

/** A PostgreSQL of the test's own, with pg_stat_statements loaded (counts()). */
async function postgresStoreServer(): Promise<StoreServer> {
  const server = await startPostgresServer();
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
  await admin.end();
  await server.restart();
  const client = new pg.Client(server.url);
  await client.connect();
  await client.query('CREATE EXTENSION pg_stat_statements');
  await client.end();

  // Stalled: the postmaster and every process it started (each connection's backend) stopped.
  let stopped: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  const resume = async () => {
    clearTimeout(timer);
    for (const pid of stopped.splice(0)) signal(pid, 'SIGCONT');
  };
  return {
    url: server.url,
    stop: () => server.kill(),
    start: () => server.start(),
    async stall(ms) {
      const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(server.pid)], {
        encoding: 'utf8',
      });
      stopped = [server.pid, ...children.stdout.split(/\s+/).filter(Boolean).map(Number)];
      for (const pid of stopped) signal(pid, 'SIGSTOP');
      timer = setTimeout(() => void resume(), ms);
    },
    resume,
    async close() {
      await resume();
      await server.stop();
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

type Expiring<T> = Map<string, { value: T; expiresAt: number }>;
/** The memory store's maps (lib/stores/memory-session.store.ts), read as its storage. */
interface MemoryMaps {
  records: Expiring<Buffer>;
  tombstones: Expiring<true>;
  /** By user key; the entries are read through the store's own indexPage(). */
  indexes: Map<string, unknown>;
}

function memoryStoreInspector(sample: SampleUnderTest): StoreInspector {
  const { store } = sample.app.get<GuardedSessionStore>(SESSION_STORE);
  const maps = store as unknown as MemoryMaps;
  if (![maps.records, maps.tombstones, maps.indexes].every((map) => map instanceof Map)) {
    throw new Error(
      `store-inspect.ts reads the memory store's records, tombstones and indexes maps: ${store.kind} has none`,
    );
  }
  const ttl = (map: Expiring<unknown>, handle: string) => {
    const item = map.get(handle);
    return item ? item.expiresAt - Date.now() : null;
  };
  const noCounts = () => {
    throw new Error("The memory store, in the sample's process, takes no commands to count");
  };
  return {
    store: 'memory',
    record: (handle) => store.read(handle),
    async replaceRecord(handle, record) {
      const item = maps.records.get(handle);
      if (!item) throw new Error(`no record stored under ${handle} to replace`);
      item.value = Buffer.from(record);
    },
    holds: async (handle) => maps.records.has(handle) || maps.tombstones.has(handle),
    recordTtl: async (handle) => ttl(maps.records, handle),
    tombstoneTtl: async (handle) => ttl(maps.tombstones, handle),
    async entries() {
      const entries = [
        ...[...maps.records.keys()].map((handle) => `s:{${handle}}`),
        ...[...maps.tombstones.keys()].map((handle) => `s:{${handle}}:revoked`),
      ];
      for (const key of maps.indexes.keys()) {
        entries.push(`u:{${key}}`);
        for (const { handle } of await store.indexPage(key, 0, 100_000)) {
          entries.push(`u:{${key}} s:{${handle}}`);
        }
      }
      return entries;
    },
    // What a heap snapshot of the process would show of the store.
    dump: async () =>
      Buffer.concat(
        [...maps.records].flatMap(([handle, { value }]) => [Buffer.from(handle), value]),
      ).toString('latin1'),
    resetCounts: async () => noCounts(),
    counts: async () => noCounts(),
    close: async () => undefined,
  };
}
