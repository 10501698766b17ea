import type { Logger } from '@nestjs/common';
import type { PostgresStatement } from './postgres-sql.js';

/** @internal A statement's result, as the store reads it. */
export interface PostgresResult {
  rows: any[];
  rowCount: number | null;
}

/** A client checked out of a `SessionPostgresPool`: the part of node-postgres's the module uses. */
export interface SessionPostgresPoolClient {
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<PostgresResult>;
  /** Gives the client back; with an error (or `true`), closes it instead. */
  release(destroy?: Error | boolean): void;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  off?(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * A node-postgres `Pool` (`new Pool()` from the `pg` package), as the `postgres.pool` option takes
 * it: declared here so the package's types need neither `pg` nor `@types/pg`.
 */
export interface SessionPostgresPool {
  connect(): Promise<SessionPostgresPoolClient>;
  end(): Promise<void>;
  /** The options the pool was created with; the LISTEN connection is made with them. */
  readonly options?: object;
}

/** @internal A connection of its own, for LISTEN: node-postgres's `Client`. */
export interface PostgresListenClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on(event: 'error' | 'end', listener: (err?: Error) => void): unknown;
}

type ClientClass = new (config: object) => PostgresListenClient;
type PgModule = {
  Pool: new (config: object) => SessionPostgresPool & {
    on(event: 'error', listener: (err: Error) => void): unknown;
  };
  Client: ClientClass;
};

/** @internal The `pg` package, loaded only when the PostgreSQL store is used. */
export async function loadPg(): Promise<PgModule> {
  const pg = await import('pg').catch(() => {
    throw new Error(
      "SessionModule: `postgres` is set but the 'pg' package is missing: npm install pg",
    );
  });
  return (pg.default ?? pg) as unknown as PgModule;
}

/** @internal How the store reaches the database: the pool, and a LISTEN connection maker. */
export interface PostgresConnection {
  pool: SessionPostgresPool;
  /** Whether the module created the pool (and so ends it). */
  owned: boolean;
  newListenClient: () => PostgresListenClient;
}

const IDLE_TIMEOUT_MS = 30_000;
const APPLICATION_NAME = 'nestjs-secure-session';

/**
 * @internal The module's pool for `url`: each connection has a `statement_timeout` of
 * `queryTimeout`, and waiting for a connection is bounded by it too. For a pool the app gave, the
 * LISTEN connection is made by the pool's own `Client` class with the pool's options.
 */
export async function connectPostgres(
  settings: { url?: string; pool?: SessionPostgresPool; queryTimeout: number; poolSize: number },
  logger: Logger,
): Promise<PostgresConnection> {
  const given = settings.pool;
  if (given) {
    const Client = (given as { Client?: ClientClass }).Client ?? (await loadPg()).Client;
    return { pool: given, owned: false, newListenClient: () => new Client(given.options ?? {}) };
  }
  const pg = await loadPg();
  const connection = {
    connectionString: settings.url,
    connectionTimeoutMillis: settings.queryTimeout,
    statement_timeout: settings.queryTimeout,
    keepAlive: true,
    application_name: APPLICATION_NAME,
  };
  const pool = new pg.Pool({
    ...connection,
    max: settings.poolSize,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    allowExitOnIdle: true,
  });
  // An idle connection the server closed (a restart): without a listener, the process would crash.
  pool.on('error', (err) =>
    logger.warn(`Session store (PostgreSQL) connection lost: ${err.message}`),
  );
  return { pool, owned: true, newListenClient: () => new pg.Client(connection) };
}

/** @internal A statement that did not finish within its deadline. */
export class QueryTimeoutError extends Error {
  constructor(ms: number) {
    super(`PostgreSQL did not answer within ${ms} ms`);
    this.name = 'QueryTimeoutError';
  }
}

/**
 * @internal Runs one statement on a client of the pool within `timeoutMs`, waiting for the client
 * included. A client whose statement timed out or failed is closed, not given back, so stuck
 * clients never starve the pool; one that arrives after the deadline is given back unused.
 */
export function runBounded(
  pool: SessionPostgresPool,
  timeoutMs: number,
  query: { text: string; values?: unknown[]; name?: string },
): Promise<PostgresResult> {
  return new Promise((resolve, reject) => {
    let client: SessionPostgresPoolClient | undefined;
    let settled = false;
    const settle = (err: Error | undefined, result?: PostgresResult) => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(result!);
      return true;
    };
    const timer = setTimeout(() => {
      const err = new QueryTimeoutError(timeoutMs);
      // Closed now; its error listener stays, so its dying connection cannot throw.
      if (settle(err)) client?.release(err);
    }, timeoutMs);
    pool.connect().then(
      (checkedOut) => {
        if (settled) return checkedOut.release();
        client = checkedOut;
        // While checked out, a client has no listener of the pool's: its connection dropping
        // (a server shutting down, whose notice can arrive with the last reply) would be an
        // uncaught 'error' that ends the process. Such a client is closed, not given back.
        let broken: Error | undefined;
        const onError = (err: Error) => (broken ??= err);
        checkedOut.on?.('error', onError);
        const giveBack = (err?: Error) => {
          checkedOut.off?.('error', onError);
          checkedOut.release(err ?? broken);
        };
        checkedOut.query(query).then(
          (result) => settle(undefined, result) && giveBack(),
          (err: Error) => settle(err) && giveBack(err),
        );
      },
      (err: Error) => settle(err),
    );
  });
}

/** @internal The query object for a statement: prepared under its name when `prepared`. */
export function queryOf(
  statement: PostgresStatement,
  values: unknown[],
  prepared: boolean,
): { text: string; values: unknown[]; name?: string } {
  return prepared ? { ...statement, values } : { text: statement.text, values };
}
