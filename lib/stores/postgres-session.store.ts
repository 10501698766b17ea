import type { Logger } from '@nestjs/common';
import { connectPgSimpleSessions } from '../postgres/connect-pg-simple.sessions.js';
import { PostgresListener } from '../postgres/postgres-listener.js';
import { PostgresReadBatch } from '../postgres/postgres-read-batch.js';
import {
  queryOf,
  runBounded,
  type PostgresConnection,
  type PostgresResult,
} from '../postgres/postgres-pool.js';
import {
  storeStatements,
  type PostgresNames,
  type PostgresStatement,
} from '../postgres/postgres-sql.js';
import { PostgresSweeper, type SweepReport } from '../postgres/postgres-sweeper.js';
import { errorMessage, SessionStoreUnavailableException } from '../session.errors.js';
import type { IndexEntry, LegacySessionSource, SessionStore } from './session-store.interface.js';

// NOTIFY refuses a payload of 8000 bytes or more.
// Reads gathered into one statement at most (see PostgresReadBatch).
const READ_BATCH = 100;
const MAX_PAYLOAD_BYTES = 7999;

/** @internal Where and how the PostgreSQL store keeps sessions. */
export interface PostgresStoreSettings {
  connection: PostgresConnection;
  names: PostgresNames;
  queryTimeout: number;
  sweepInterval: number;
  /** Prepares each statement once per connection, under its name. */
  prepared: boolean;
  /** connect-pg-simple's table, when migrating from it. */
  legacyTable?: string;
  logger: Logger;
}

/**
 * @internal Sessions in PostgreSQL (docs/postgres.md): a row per handle in `<prefix>sessions`
 * holds its record, or, with a NULL record, its tombstone; `<prefix>user_sessions` holds each
 * user's index. Each call is one statement, atomic in the database, bounded by `queryTimeout`
 * (waiting for a connection included); any failure becomes a 503 for the caller, the cause logged.
 * Expiry is on the database's clock, and no row past its deadline is ever served.
 */
export class PostgresSessionStore implements SessionStore {
  readonly kind = 'postgres';
  readonly legacySessions?: LegacySessionSource;
  private readonly statements: ReturnType<typeof storeStatements>;
  private readonly sweeper: PostgresSweeper;
  private readonly reads: PostgresReadBatch;
  private listener?: PostgresListener;
  private closed = false;

  constructor(private readonly settings: PostgresStoreSettings) {
    this.statements = storeStatements(settings.names);
    const s = this.statements;
    this.sweeper = new PostgresSweeper(
      (statement, values) => this.raw(statement, values),
      [s.sweepSessions, s.sweepUserSessions],
      settings.sweepInterval,
      settings.logger,
    );
    this.reads = new PostgresReadBatch((handles) => this.readMany(handles), READ_BATCH);
    if (settings.legacyTable) {
      this.legacySessions = connectPgSimpleSessions(settings.legacyTable, (statement, values) =>
        this.query(statement, values),
      );
    }
  }

  /** Whether close() was called (background work stops then). */
  get isClosed(): boolean {
    return this.closed;
  }

  read(handle: string): Promise<Buffer | null> {
    return this.reads.read(handle);
  }

  // One handle (the usual case when the app is not busy) by the one-row statement.
  private async readMany(handles: string[]): Promise<Map<string, Buffer>> {
    const records = new Map<string, Buffer>();
    if (handles.length === 1) {
      const { rows } = await this.query(this.statements.read, handles);
      if (rows[0]) records.set(handles[0]!, rows[0].record as Buffer);
      return records;
    }
    const { rows } = await this.query(this.statements.readMany, [handles]);
    for (const row of rows as { handle: string; record: Buffer }[])
      records.set(row.handle, row.record);
    return records;
  }

  async isRevoked(handle: string): Promise<boolean> {
    return (await this.query(this.statements.isRevoked, [handle])).rows.length > 0;
  }

  async writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number): Promise<boolean> {
    const result = await this.query(this.statements.write, [handle, record, milliseconds(ttlMs)]);
    return result.rowCount === 1;
  }

  async revoke(handle: string, tombstoneTtlMs: number): Promise<boolean> {
    const { rows } = await this.query(this.statements.revoke, [
      handle,
      milliseconds(tombstoneTtlMs),
    ]);
    return rows[0]?.existed === true;
  }

  async indexAdd(
    userKey: string,
    { handle, addedAt }: IndexEntry,
    staleBefore: number,
    ttlMs: number,
  ): Promise<number> {
    const values = [
      userKey,
      handle,
      Math.floor(addedAt),
      Math.floor(staleBefore),
      milliseconds(ttlMs),
    ];
    const { rows } = await this.query(this.statements.indexAdd, values);
    return Number(rows[0].count);
  }

  async indexPage(userKey: string, offset: number, count: number): Promise<IndexEntry[]> {
    const { rows } = await this.query(this.statements.indexPage, [userKey, offset, count]);
    return rows.map((row: { handle: string; added_at: string }) => ({
      handle: row.handle,
      addedAt: Number(row.added_at),
    }));
  }

  async indexRemove(userKey: string, handles: readonly string[]): Promise<void> {
    if (handles.length === 0) return;
    await this.query(this.statements.indexRemove, [userKey, handles]);
  }

  // Handles, space-separated (they are base64url), in as few notifications as fit.
  async announceEnded(handles: readonly string[]): Promise<void> {
    if (handles.length === 0) return;
    const chunks = payloads(handles);
    await this.query(this.statements.announce, [this.settings.names.channel, chunks]);
  }

  async onEnded(ended: (handle: string) => void, resubscribed?: () => void): Promise<void> {
    if (this.closed || this.listener) return;
    const { connection, names, queryTimeout, logger } = this.settings;
    this.listener = new PostgresListener(
      connection.newListenClient,
      names.channel,
      (payload) => payload.split(' ').forEach((handle) => handle && ended(handle)),
      () => resubscribed?.(),
      queryTimeout,
      logger,
    );
    await this.listener.start();
  }

  async isReachable(): Promise<boolean> {
    return this.raw(this.statements.ping, []).then(
      () => true,
      () => false,
    );
  }

  /** @internal Starts the sweeper's timer (the factory does, once the tables are there). */
  startSweeping(): void {
    if (!this.closed) this.sweeper.start();
  }

  /** @internal One sweep now, as the timer runs it. */
  sweep(): Promise<SweepReport> {
    return this.sweeper.sweep();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sweeper.stop();
    this.listener?.stop();
    if (!this.settings.connection.owned) return;
    // end() waits for clients in use; each is given back or closed within queryTimeout.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.settings.connection.pool.end().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, this.settings.queryTimeout * 2))),
    ]);
    clearTimeout(timer);
  }

  // Any failure (a timeout too) becomes a 503 for the caller; the cause is logged.
  private async query(statement: PostgresStatement, values: unknown[]): Promise<PostgresResult> {
    try {
      return await this.raw(statement, values);
    } catch (err) {
      this.settings.logger.error(`Session store (PostgreSQL) failed: ${errorMessage(err)}`);
      throw new SessionStoreUnavailableException();
    }
  }

  private raw(statement: PostgresStatement, values: unknown[]): Promise<PostgresResult> {
    const { connection, queryTimeout, prepared } = this.settings;
    return runBounded(connection.pool, queryTimeout, queryOf(statement, values, prepared));
  }
}

/** @internal Handles joined by spaces into payloads NOTIFY accepts (under 8000 bytes each). */
export function payloads(handles: readonly string[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const handle of handles) {
    const size = Buffer.byteLength(handle);
    if (current.length > 0 && bytes + 1 + size > MAX_PAYLOAD_BYTES) {
      chunks.push(current.join(' '));
      current = [];
      bytes = 0;
    }
    bytes += (current.length > 0 ? 1 : 0) + size;
    current.push(handle);
  }
  if (current.length > 0) chunks.push(current.join(' '));
  return chunks;
}

// A whole number of ms, at least 1: a TTL of 0 would write a row that is already dead.
function milliseconds(ttl: number): number {
  return Math.max(1, Math.ceil(ttl));
}
