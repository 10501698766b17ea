/**
 * What the apps under test did on PostgreSQL, as PostgreSQL itself records it, for
 * bench/postgres.ts: the statements each ran (its log, `log_statement = 'all'` switched on only
 * while counting), the transactions that wrote (transaction IDs assigned), the rows each wrote per
 * table (`pg_stat_user_tables`), and the space its tables take on disk (`pg_total_relation_size`).
 * Each app gets a database of its own, so that a figure of one database is one app's.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import type { PostgresServer } from '../test/support/postgres-server.js';

const run = promisify(execFile);
const ADMIN = 'bench-admin';
// A backend flushes its table counters when it goes idle, at most once a second; one that went
// idle right after a flush does it PGSTAT_IDLE_INTERVAL (10 s, PostgreSQL 15) later.
const STATS_FLUSH_MS = 11_000;
const LOG_LINE = /^(\w*)\|([^|\n]*)\|([A-Z]+):  (.*)$/;
const STATEMENT = /^(?:statement|execute [^:]+): ([\s\S]*)$/;

/** What the apps ran in one database while an action ran. */
export interface Counted<T> {
  result: T;
  /** Each statement's SQL as the log shows it (whitespace collapsed), in the order logged. */
  statements: string[];
  /**
   * Transactions that wrote: PostgreSQL gives a transaction an ID at its first write, and only
   * then, so the growth of the next ID to give counts them (autovacuum is paused meanwhile).
   */
  writingTransactions: number;
  /** ERROR and FATAL lines the apps' backends logged. */
  errors: string[];
}

/** Rows written to one table, from `pg_stat_user_tables`. */
export interface TableWrites {
  inserted: number;
  updated: number;
  deleted: number;
}

/** One table's size on disk, bytes. */
export interface TableSize {
  table: string;
  rows: number;
  /** The table's main fork (its rows). */
  heap: number;
  indexes: number;
  /** TOAST, free space map, visibility map. */
  other: number;
  total: number;
}

export class PostgresProbe {
  private readonly clients = new Map<string, pg.Client>();

  private constructor(
    private readonly server: PostgresServer,
    private readonly logFile: string,
  ) {}

  /**
   * Sends the server's log to a file of its own (a restart: `logging_collector` is read at start)
   * with each line prefixed by its database and application name, and pins the server to `cpu`.
   */
  static async attach(server: PostgresServer, cpu: string | undefined): Promise<PostgresProbe> {
    const admin = await connect(server, 'postgres');
    for (const setting of [
      "logging_collector = 'on'",
      "log_directory = 'bench-log'",
      "log_filename = 'statements.log'",
      "log_rotation_size = '0'",
      "log_rotation_age = '0'",
      "log_line_prefix = '%d|%a|'",
      // The statement, not its parameters: a revokeAll() batch would log every handle.
      "log_parameter_max_length = '0'",
    ])
      await admin.query(`ALTER SYSTEM SET ${setting}`);
    await admin.end();
    await server.restart();
    const probe = new PostgresProbe(server, join(server.dataDir, 'bench-log', 'statements.log'));
    // Backends forked later inherit the postmaster's affinity.
    if (cpu !== undefined)
      for (const pid of await probe.serverPids())
        await run('taskset', ['-a', '-p', '-c', cpu, String(pid)]);
    return probe;
  }

  /** The postmaster and every process it has started (backends, background workers). */
  async serverPids(): Promise<number[]> {
    const { stdout } = await run('pgrep', ['-P', String(this.server.pid)]);
    return [this.server.pid, ...stdout.split('\n').filter(Boolean).map(Number)];
  }

  private async client(database: string): Promise<pg.Client> {
    let client = this.clients.get(database);
    if (!client) {
      client = await connect(this.server, database);
      this.clients.set(database, client);
    }
    return client;
  }

  async version(): Promise<string> {
    const admin = await this.client('postgres');
    return ((await admin.query('SHOW server_version')).rows[0] as { server_version: string })
      .server_version;
  }

  /** Creates a database and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    await (await this.client('postgres')).query(`CREATE DATABASE ${name}`);
    const url = new URL(this.server.url);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /**
   * Runs `action` with every statement logged and autovacuum paused (it would take transaction
   * IDs); resolves what the apps ran in `database` meanwhile. Nothing else may run on the server.
   */
  async count<T>(database: string, action: () => Promise<T>): Promise<Counted<T>> {
    const admin = await this.client('postgres');
    await this.configure(admin, { log_statement: 'all', autovacuum: 'off' });
    // Workers started before the pause finish what they do.
    while ((await admin.query<{ n: string }>(AUTOVACUUM_WORKERS)).rows[0]!.n !== '0')
      await sleep(100);
    const start = `bench-mark-${Date.now()}-start`;
    const end = start.replace(/start$/, 'end');
    try {
      const xidBefore = await nextTransactionId(admin);
      await admin.query(`SELECT '${start}'`);
      const result = await action();
      await admin.query(`SELECT '${end}'`);
      const writingTransactions = (await nextTransactionId(admin)) - xidBefore;
      const statements: string[] = [];
      const errors: string[] = [];
      for (const { db, app, level, text } of await this.logBetween(start, end)) {
        if (db !== database || app === ADMIN) continue;
        const sql = STATEMENT.exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
        if (level === 'LOG' && sql !== undefined) statements.push(sql);
        else if (level === 'ERROR' || level === 'FATAL') errors.push(text);
      }
      return { result, statements, writingTransactions, errors };
    } finally {
      await this.configure(admin, { log_statement: 'none', autovacuum: 'on' });
    }
  }

  private async configure(admin: pg.Client, settings: Record<string, string>): Promise<void> {
    for (const [name, value] of Object.entries(settings))
      await admin.query(`ALTER SYSTEM SET ${name} = '${value}'`);
    await admin.query('SELECT pg_reload_conf()');
    // Each backend reads the new settings before its next statement, once the postmaster has
    // signalled it; this leaves the signal time to arrive.
    await sleep(500);
  }

  /** The log's entries between the two markers (an entry's continuation lines joined to it). */
  private async logBetween(start: string, end: string) {
    for (let waited = 0; ; waited += 50) {
      const log = readFileSync(this.logFile, 'utf8');
      const from = log.lastIndexOf(start);
      const to = log.indexOf(end, from);
      if (from !== -1 && to !== -1) {
        const entries: { db: string; app: string; level: string; text: string }[] = [];
        for (const line of log.slice(log.indexOf('\n', from) + 1, to).split('\n')) {
          const match = LOG_LINE.exec(line);
          if (match)
            entries.push({ db: match[1]!, app: match[2]!, level: match[3]!, text: match[4]! });
          else if (entries.length > 0) entries.at(-1)!.text += `\n${line}`;
        }
        return entries;
      }
      if (waited > 10_000) throw new Error(`no '${end}' in ${this.logFile}`);
      await sleep(50);
    }
  }

  /** Rows written per table of the database so far, once the apps' backends have reported them. */
  async writes(database: string): Promise<Map<string, TableWrites>> {
    await sleep(STATS_FLUSH_MS);
    const { rows } = await (
      await this.client(database)
    ).query<{ table: string; ins: string; upd: string; del: string }>(
      `SELECT format('%I.%I', schemaname, relname) AS table, n_tup_ins AS ins, n_tup_upd AS upd,
              n_tup_del AS del
         FROM pg_stat_user_tables ORDER BY 1`,
    );
    return new Map(
      rows.map((r) => [
        r.table,
        { inserted: Number(r.ins), updated: Number(r.upd), deleted: Number(r.del) },
      ]),
    );
  }

  /** Every table of the database, with its indexes and rows. */
  async sizes(database: string): Promise<TableSize[]> {
    const client = await this.client(database);
    const { rows } = await client.query<{ table: string; oid: number }>(
      `SELECT format('%I.%I', schemaname, relname) AS table, relid AS oid
         FROM pg_stat_user_tables ORDER BY 1`,
    );
    const sizes: TableSize[] = [];
    for (const { table, oid } of rows) {
      const [size] = (
        await client.query<Record<'heap' | 'indexes' | 'total', string>>(
          `SELECT pg_relation_size($1) AS heap, pg_indexes_size($1) AS indexes,
                  pg_total_relation_size($1) AS total`,
          [oid],
        )
      ).rows;
      const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      const [heap, indexes, total] = [size!.heap, size!.indexes, size!.total].map(Number);
      sizes.push({
        table,
        rows: Number(count.rows[0]!.n),
        heap: heap!,
        indexes: indexes!,
        other: total! - heap! - indexes!,
        total: total!,
      });
    }
    return sizes;
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) await client.end();
    this.clients.clear();
  }
}

/** Rows written between two `writes()` readings, per table (tables with none left out). */
export function writesBetween(
  before: Map<string, TableWrites>,
  after: Map<string, TableWrites>,
): Map<string, TableWrites> {
  const delta = new Map<string, TableWrites>();
  for (const [table, a] of after) {
    const b = before.get(table) ?? { inserted: 0, updated: 0, deleted: 0 };
    const d = {
      inserted: a.inserted - b.inserted,
      updated: a.updated - b.updated,
      deleted: a.deleted - b.deleted,
    };
    if (d.inserted || d.updated || d.deleted) delta.set(table, d);
  }
  return delta;
}

const AUTOVACUUM_WORKERS =
  "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'";

/** The next transaction ID PostgreSQL will give (reading it gives none). */
async function nextTransactionId(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ xmax: string }>(
    'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax',
  );
  return Number(rows[0]!.xmax);
}

async function connect(server: PostgresServer, database: string): Promise<pg.Client> {
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString(), application_name: ADMIN });
  await client.connect();
  return client;
}
