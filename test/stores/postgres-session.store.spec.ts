import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@nestjs/common';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ResolvedPostgresOptions } from '../../lib/options/postgres-options.schema.js';
import { createPostgresSessionStore } from '../../lib/postgres/create-postgres-session-store.js';
import type { SessionPostgresPool } from '../../lib/postgres/postgres-pool.js';
import { postgresNames, tableDefinitions } from '../../lib/postgres/postgres-sql.js';
import { SWEEP_BATCH } from '../../lib/postgres/postgres-sweeper.js';
import { payloads, type PostgresSessionStore } from '../../lib/stores/postgres-session.store.js';
import { SessionStoreUnavailableException } from '../../lib/session.errors.js';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.js';

// node-postgres's Pool is a SessionPostgresPool as it is: the option's type needs no cast.
const typed: (pool: pg.Pool) => SessionPostgresPool = (pool) => pool;

const LONG = 60_000;
const key = () => randomBytes(16).toString('base64url');
const bytes = () => randomBytes(24);
const newPrefix = () => `t${randomBytes(4).toString('hex')}_`;

const logs: string[] = [];
const logger = {
  log: (message: string) => logs.push(message),
  warn: (message: string) => logs.push(message),
  error: (message: string) => logs.push(message),
} as unknown as Logger;

let opened: PostgresSessionStore[] = [];
const clients: pg.Client[] = [];

function options(over: Partial<ResolvedPostgresOptions> = {}): ResolvedPostgresOptions {
  return {
    url: inject('postgresUrl'),
    schema: 'public',
    tablePrefix: newPrefix(),
    createTables: true,
    queryTimeout: 2000,
    poolSize: 4,
    sweepInterval: LONG,
    ...over,
  };
}

async function open(
  settings: ResolvedPostgresOptions,
  extras: { legacyTable?: string } = {},
): Promise<PostgresSessionStore> {
  const store = await createPostgresSessionStore(settings, extras, logger);
  opened.push(store);
  return store;
}

/** A plain connection for the test's own SQL. */
async function sql(url = inject('postgresUrl')): Promise<pg.Client> {
  const client = new pg.Client(url);
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await sleep(10);
  }
}

/** How the promise settled and after how many ms. */
async function timed(promise: Promise<unknown>): Promise<{ ms: number; outcome: unknown }> {
  const start = Date.now();
  const outcome = await promise.then(
    (value) => value,
    (err: unknown) => err,
  );
  return { ms: Date.now() - start, outcome };
}

afterEach(async () => {
  await Promise.all(opened.map((store) => store.close()));
  opened = [];
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
});

describe('the PostgreSQL store: tables', () => {
  it('creates its tables at startup, also when several instances start at once', async () => {
    const settings = options();
    await Promise.all([open(settings), open(settings), open(settings)]);
    const db = await sql();
    const { rows } = await db.query(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_name LIKE $1 ORDER BY table_name, ordinal_position`,
      [`${settings.tablePrefix}%`],
    );
    // Hashed handles and user keys, encrypted records, deadlines: nothing else is kept.
    expect(rows.map((row) => `${row.table_name}.${row.column_name}`)).toEqual(
      ['sessions.handle', 'sessions.record', 'sessions.expires_at']
        .concat(['user_sessions.user_key', 'user_sessions.handle'])
        .concat(['user_sessions.added_at', 'user_sessions.expires_at'])
        .map((column) => `${settings.tablePrefix}${column}`),
    );
  });

  it('creates a schema of its own when the one named is missing', async () => {
    const schema = `s_${randomBytes(4).toString('hex')}`;
    const store = await open(options({ schema }));
    expect(await store.writeUnlessRevoked(key(), bytes(), LONG)).toBe(true);
  });

  it('with createTables: false, fails at startup naming what is missing and docs/postgres.md', async () => {
    const failure = open(options({ createTables: false }));
    await expect(failure).rejects.toThrow(/createTables.*missing.*docs\/postgres\.md#tables/s);
  });

  it('with createTables: false, starts on tables made with the SQL of docs/postgres.md', async () => {
    const settings = options({ createTables: false });
    const db = await sql();
    const docsSql = sqlBlockOfDocs().replaceAll('secure_session_', settings.tablePrefix);
    await db.query(docsSql);
    const store = await open(settings);
    expect(await store.writeUnlessRevoked(key(), bytes(), LONG)).toBe(true);
  });

  it('docs/postgres.md shows exactly the SQL the module runs', () => {
    const runs = tableDefinitions(postgresNames('public', 'secure_session_'));
    expect(sqlBlockOfDocs()).toBe(`${runs.join(';\n\n')};\n`);
  });
});

function sqlBlockOfDocs(): string {
  const doc = readFileSync(new URL('../../docs/postgres.md', import.meta.url), 'utf8');
  const block = /^```sql\n([\s\S]*?)^```$/m.exec(doc);
  if (!block) throw new Error('docs/postgres.md has no ```sql block');
  return block[1]!;
}

describe('the PostgreSQL store: records and tombstones', () => {
  let store: PostgresSessionStore;
  beforeAll(async () => {
    store = await createPostgresSessionStore(options(), {}, logger);
  });
  afterAll(() => store.close());

  it('never serves a record past its TTL, nor counts a tombstone past its TTL', async () => {
    const handle = key();
    const record = bytes();
    expect(await store.writeUnlessRevoked(handle, record, 150)).toBe(true);
    expect(await store.read(handle)).toEqual(record);
    await sleep(160);
    expect(await store.read(handle)).toBeNull();
    expect(await store.revoke(handle, 150)).toBe(false);
    expect(await store.isRevoked(handle)).toBe(true);
    await sleep(160);
    expect(await store.isRevoked(handle)).toBe(false);
    expect(await store.writeUnlessRevoked(handle, record, LONG)).toBe(true);
  });

  it('refuses a write once the session is revoked, and says whether a live record existed', async () => {
    const handle = key();
    expect(await store.revoke(handle, LONG)).toBe(false);
    expect(await store.writeUnlessRevoked(handle, bytes(), LONG)).toBe(false);
    const other = key();
    expect(await store.writeUnlessRevoked(other, bytes(), LONG)).toBe(true);
    expect(await store.writeUnlessRevoked(other, bytes(), LONG)).toBe(true);
    expect(await store.revoke(other, LONG)).toBe(true);
    expect(await store.read(other)).toBeNull();
    expect(await store.isRevoked(other)).toBe(true);
    expect(await store.writeUnlessRevoked(other, bytes(), LONG)).toBe(false);
    expect(await store.revoke(other, LONG)).toBe(false);
  });

  it('never lets a write racing a revocation bring the session back', async () => {
    const rounds = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const handle = key();
        await store.writeUnlessRevoked(handle, bytes(), LONG);
        const [written, existed] = await Promise.all([
          store.writeUnlessRevoked(handle, bytes(), LONG),
          store.revoke(handle, LONG),
        ]);
        return { written, existed, after: await store.read(handle) };
      }),
    );
    expect(rounds.every(({ after, existed }) => after === null && existed)).toBe(true);
    // Both orders happen: where this was written, 8-17% of the writes came second (refused).
    expect(rounds.filter(({ written }) => written).length).toBeGreaterThan(0);
  });
});

describe("the PostgreSQL store: a user's index", () => {
  let store: PostgresSessionStore;
  beforeAll(async () => {
    store = await createPostgresSessionStore(options(), {}, logger);
  });
  afterAll(() => store.close());

  it('lists entries oldest first in pages, moves a handle added again, removes, drops stale ones', async () => {
    const user = key();
    const [a, b, c] = [key(), key(), key()];
    expect(await store.indexAdd(user, { handle: a, addedAt: 1000 }, 0, LONG)).toBe(1);
    expect(await store.indexAdd(user, { handle: b, addedAt: 2000 }, 0, LONG)).toBe(2);
    expect(await store.indexAdd(user, { handle: c, addedAt: 3000 }, 0, LONG)).toBe(3);
    expect(await store.indexPage(user, 0, 2)).toEqual([
      { handle: a, addedAt: 1000 },
      { handle: b, addedAt: 2000 },
    ]);
    expect(await store.indexAdd(user, { handle: a, addedAt: 4000 }, 0, LONG)).toBe(3);
    expect((await store.indexPage(user, 1, 10)).map((entry) => entry.handle)).toEqual([c, a]);
    await store.indexRemove(user, [c, key()]);
    expect((await store.indexPage(user, 0, 10)).map((entry) => entry.handle)).toEqual([b, a]);
    // Entries added before staleBefore go in the same step.
    expect(await store.indexAdd(user, { handle: c, addedAt: 5000 }, 3000, LONG)).toBe(2);
    expect((await store.indexPage(user, 0, 10)).map((entry) => entry.handle)).toEqual([a, c]);
    expect(await store.indexPage(key(), 0, 10)).toEqual([]);
  });

  it('does not list or count entries past their TTL', async () => {
    const user = key();
    await store.indexAdd(user, { handle: key(), addedAt: 1 }, 0, 100);
    await sleep(120);
    expect(await store.indexPage(user, 0, 10)).toEqual([]);
    expect(await store.indexAdd(user, { handle: key(), addedAt: 2 }, 0, LONG)).toBe(1);
  });

  it('counts exactly when logins of one user add at once', async () => {
    const user = key();
    const counts = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.indexAdd(user, { handle: key(), addedAt: Date.now() + i }, 0, LONG),
      ),
    );
    expect(counts.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });
});

describe('the PostgreSQL store: the sweeper', () => {
  it('deletes expired records, tombstones and index entries in batches, and nothing live', async () => {
    const settings = options();
    const store = await open(settings);
    const { plain } = postgresNames(settings.schema, settings.tablePrefix);
    const live = key();
    await store.writeUnlessRevoked(live, bytes(), LONG);
    await store.revoke(key(), LONG);
    const user = key();
    await store.indexAdd(user, { handle: live, addedAt: 1 }, 0, LONG);
    const db = await sql();
    const expired = SWEEP_BATCH * 2 + 500;
    await db.query(
      `INSERT INTO ${plain.sessions} SELECT 'x' || i, CASE WHEN i % 2 = 0 THEN NULL ELSE '\\x00'::bytea END,
       now() - interval '1 second' FROM generate_series(1, $1) i`,
      [expired],
    );
    await db.query(
      `INSERT INTO ${plain.userSessions} SELECT 'u', 'x' || i, i, now() - interval '1 second'
       FROM generate_series(1, $1) i`,
      [SWEEP_BATCH + 1],
    );
    const report = await store.sweep();
    expect(report).toEqual({ deleted: expired + SWEEP_BATCH + 1, statements: 5, yielded: false });
    const count = async (table: string) =>
      Number((await db.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
    expect([await count(plain.sessions), await count(plain.userSessions)]).toEqual([2, 1]);
    expect(await store.read(live)).not.toBeNull();
    expect(await store.indexPage(user, 0, 10)).toHaveLength(1);
  });

  it('sweeps on one instance at a time: one that finds the lock held leaves the run to the other', async () => {
    const settings = options();
    const [first, second] = [await open(settings), await open(settings)];
    const { plain, sweepLock } = postgresNames(settings.schema, settings.tablePrefix);
    const db = await sql();
    await db.query(
      `INSERT INTO ${plain.sessions} SELECT 'x' || i, NULL, now() - interval '1 second'
       FROM generate_series(1, 10) i`,
    );
    // Another instance in the middle of a sweep holds the lock.
    await db.query('SELECT pg_advisory_lock($1)', [sweepLock]);
    expect(await first.sweep()).toEqual({ deleted: 0, statements: 1, yielded: true });
    await db.query('SELECT pg_advisory_unlock($1)', [sweepLock]);
    // Two at once: each batch runs on one of them; together they delete each row once.
    await db.query(
      `INSERT INTO ${plain.sessions} SELECT 'y' || i, NULL, now() - interval '1 second'
       FROM generate_series(1, $1) i`,
      [SWEEP_BATCH * 5],
    );
    const reports = await Promise.all([first.sweep(), second.sweep()]);
    expect(reports[0]!.deleted + reports[1]!.deleted).toBe(SWEEP_BATCH * 5 + 10);
    const left = await db.query(`SELECT count(*)::int AS n FROM ${plain.sessions}`);
    expect(left.rows[0].n).toBe(0);
  });

  it('runs by itself at its interval', async () => {
    const settings = options({ sweepInterval: 100 });
    const store = await open(settings);
    expect(await store.writeUnlessRevoked(key(), bytes(), 1)).toBe(true);
    const { plain } = postgresNames(settings.schema, settings.tablePrefix);
    const db = await sql();
    const rows = async () => (await db.query(`SELECT 1 FROM ${plain.sessions}`)).rows.length;
    await eventually(async () => (await rows()) === 0);
    expect(await rows()).toBe(0);
  });
});

describe('the PostgreSQL store: size on disk', () => {
  // docs/postgres.md#sizing cites this figure: a logged-in session (a 248-byte encrypted record,
  // as bench/results/bytes-per-session.md measured it, and its user's index entry), tables and
  // indexes, after VACUUM.
  it('takes about 700 bytes per logged-in session, tables and indexes', async () => {
    const sessions = 10_000;
    const settings = options({ poolSize: 8 });
    const store = await open(settings);
    const { plain } = postgresNames(settings.schema, settings.tablePrefix);
    const db = await sql();
    const size = async () =>
      Number(
        (
          await db.query('SELECT pg_total_relation_size($1) + pg_total_relation_size($2) AS b', [
            plain.sessions,
            plain.userSessions,
          ])
        ).rows[0].b,
      );
    const before = await size();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next++ < sessions) {
          const handle = key();
          await store.writeUnlessRevoked(handle, randomBytes(248), LONG);
          await store.indexAdd(key(), { handle, addedAt: Date.now() }, 0, LONG);
        }
      }),
    );
    await db.query(`VACUUM ${plain.sessions}, ${plain.userSessions}`);
    const perSession = ((await size()) - before) / sessions;
    expect(perSession).toBeGreaterThan(600);
    expect(perSession).toBeLessThan(800);
  });
});

describe('the PostgreSQL store: ended sessions (LISTEN/NOTIFY)', () => {
  it('reaches another instance within a second, big batches in several notifications', async () => {
    const settings = options();
    const [listening, announcing] = [await open(settings), await open(settings)];
    const heard: string[] = [];
    await listening.onEnded((handle) => heard.push(handle));
    const ended = [key(), key()];
    const start = Date.now();
    await announcing.announceEnded(ended);
    await eventually(() => heard.length === 2, 1000);
    expect(heard).toEqual(ended);
    expect(Date.now() - start).toBeLessThan(1000);

    const many = Array.from({ length: 2000 }, key);
    expect(payloads(many).length).toBeGreaterThan(4);
    expect(payloads(many).every((payload) => Buffer.byteLength(payload) < 8000)).toBe(true);
    await announcing.announceEnded(many);
    await eventually(() => heard.length === 2002, 1000);
    expect(heard.slice(2)).toEqual(many);
  });

  it('does not hear another prefix', async () => {
    const [mine, theirs] = [await open(options()), await open(options())];
    const heard: string[] = [];
    await mine.onEnded((handle) => heard.push(handle));
    await theirs.announceEnded([key()]);
    await mine.announceEnded(['mine']);
    await eventually(() => heard.length > 0);
    expect(heard).toEqual(['mine']);
  });
});

describe('the PostgreSQL store: outages', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgresServer();
  });
  afterAll(() => server.stop());

  const QUERY_TIMEOUT = 300;
  const privateOptions = (over: Partial<ResolvedPostgresOptions> = {}) =>
    options({ url: server.url, queryTimeout: QUERY_TIMEOUT, poolSize: 2, ...over });

  it('LISTEN connection killed: reconnects, says so (resubscribed), and hears announcements again', async () => {
    const settings = privateOptions();
    const [listening, announcing] = [await open(settings), await open(settings)];
    const heard: string[] = [];
    let resubscribed = 0;
    await listening.onEnded(
      (handle) => heard.push(handle),
      () => resubscribed++,
    );
    const db = await sql(server.url);
    const killed = await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
    );
    expect(killed.rows).toHaveLength(1);
    await eventually(() => resubscribed === 1, 2000);
    const handle = key();
    await announcing.announceEnded([handle]);
    await eventually(() => heard.includes(handle), 1000);
  });

  it('server stopped: calls reject at once, never hang; restarted: the same store works again', async () => {
    const settings = privateOptions();
    const store = await open(settings);
    let resubscribed = 0;
    await store.onEnded(
      () => undefined,
      () => resubscribed++,
    );
    const handle = key();
    await store.writeUnlessRevoked(handle, bytes(), LONG);
    await server.kill();
    try {
      const calls = await Promise.all(Array.from({ length: 10 }, () => timed(store.read(handle))));
      for (const { ms, outcome } of calls) {
        expect(outcome).toBeInstanceOf(SessionStoreUnavailableException);
        expect(ms).toBeLessThan(QUERY_TIMEOUT);
      }
      expect(await store.isReachable()).toBe(false);
      expect(logs.some((line) => line.startsWith('Session store (PostgreSQL) failed:'))).toBe(true);
    } finally {
      await server.start();
    }
    expect(await store.read(handle)).not.toBeNull();
    expect(await store.isReachable()).toBe(true);
    await eventually(() => resubscribed === 1, 3000);
  });

  it('database down at startup: the app starts, gets 503, and the tables come when it is back', async () => {
    await server.kill();
    let store: PostgresSessionStore;
    try {
      store = await open(privateOptions());
      expect(logs.some((line) => line.includes('not reachable at startup'))).toBe(true);
      await expect(store.read(key())).rejects.toBeInstanceOf(SessionStoreUnavailableException);
    } finally {
      await server.start();
    }
    await eventually(() => store.isReachable());
    const handle = key();
    await eventually(() => store.writeUnlessRevoked(handle, bytes(), LONG).catch(() => false));
    expect(await store.read(handle)).not.toBeNull();
  });

  it('a slow statement: rejected within queryTimeout, cancelled in the database, the pool not starved', async () => {
    const settings = privateOptions();
    const store = await open(settings);
    const { plain } = postgresNames(settings.schema, settings.tablePrefix);
    const handle = key();
    await store.writeUnlessRevoked(handle, bytes(), LONG);
    const locker = await sql(server.url);
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${plain.sessions} IN ACCESS EXCLUSIVE MODE`);
    // Twice as many calls as the pool has connections: the last wait for one, within the bound.
    const calls = await Promise.all(Array.from({ length: 4 }, () => timed(store.read(handle))));
    for (const { ms, outcome } of calls) {
      expect(outcome).toBeInstanceOf(SessionStoreUnavailableException);
      expect(ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT - 5);
      // Slack for a test machine under load: the deadline is a timer on the event loop.
      expect(ms).toBeLessThan(QUERY_TIMEOUT + 250);
    }
    // The database gave up too (statement_timeout): nothing of the store's is left waiting.
    const observer = await sql(server.url);
    await eventually(
      async () =>
        (
          await observer.query(
            `SELECT 1 FROM pg_stat_activity WHERE application_name = 'nestjs-secure-session'
             AND state = 'active'`,
          )
        ).rows.length === 0,
      1000,
    );
    await locker.query('ROLLBACK');
    // A pool holding stuck clients would time these out too.
    const after = await Promise.all(Array.from({ length: 4 }, () => store.read(handle)));
    expect(after.every((record) => Buffer.isBuffer(record))).toBe(true);
  });
});

describe('the PostgreSQL store: a pool the app owns', () => {
  it('uses it, listens on a connection of its own, and leaves it open on close()', async () => {
    const pool = new pg.Pool({ connectionString: inject('postgresUrl'), max: 2 });
    pool.on('error', () => undefined);
    try {
      const settings = { ...options(), url: undefined, pool: typed(pool) };
      const [store, peer] = [
        await open(settings),
        await open(options({ tablePrefix: settings.tablePrefix })),
      ];
      const heard: string[] = [];
      await store.onEnded((handle) => heard.push(handle));
      const handle = key();
      expect(await store.writeUnlessRevoked(handle, bytes(), LONG)).toBe(true);
      expect(await peer.read(handle)).not.toBeNull();
      await peer.announceEnded([handle]);
      await eventually(() => heard.length === 1, 1000);
      await store.close();
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await pool.end();
    }
  });
});

describe('the PostgreSQL store: sessions of connect-pg-simple (migration)', () => {
  it("reads a live session from connect-pg-simple's table as express-session JSON, and removes it", async () => {
    const schema = `legacy_${randomBytes(4).toString('hex')}`;
    const db = await sql();
    await db.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
    // The table as connect-pg-simple's own table.sql creates it.
    await db.query(
      readFileSync(
        new URL('../../node_modules/connect-pg-simple/table.sql', import.meta.url),
        'utf8',
      ),
    );
    const sess = { cookie: { originalMaxAge: 60_000 }, user: 'ada' };
    await db.query(
      `INSERT INTO session VALUES ('live', $1, now() + interval '1 hour'),
       ('gone', $1, now() - interval '1 second')`,
      [JSON.stringify(sess)],
    );
    const store = await open(options(), { legacyTable: `${schema}.session` });
    const legacy = store.legacySessions!;
    expect(JSON.parse((await legacy.read('live'))!)).toEqual(sess);
    expect(await legacy.read('gone')).toBeNull();
    expect(await legacy.read('never')).toBeNull();
    await legacy.remove('live');
    expect(await legacy.read('live')).toBeNull();
    const left = await db.query(`SELECT sid FROM session`);
    expect(left.rows).toEqual([{ sid: 'gone' }]);
  });

  it('refuses a table name that is not a plain or schema-qualified identifier', async () => {
    await expect(open(options(), { legacyTable: 'session; DROP TABLE x' })).rejects.toThrow(
      /not connect-pg-simple's table/,
    );
  });
});
