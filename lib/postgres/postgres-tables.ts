import type { Logger } from '@nestjs/common';
import { errorMessage } from '../session.errors.js';
import { runBounded, type SessionPostgresPool } from './postgres-pool.js';
import { storeStatements, tableDefinitions, type PostgresNames } from './postgres-sql.js';

// Creating tables may wait for another instance doing the same; it is never a request's wait.
const SETUP_TIMEOUT_MS = 10_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5000;
const DOCS = 'docs/postgres.md#tables';

/** @internal A problem with the tables that no retry fixes: startup fails with it. */
export class PostgresTablesError extends Error {
  override name = 'PostgresTablesError';
}

/**
 * @internal The SQL that creates what the store needs, as one transaction: the schema when it is
 * missing (CREATE SCHEMA needs a privilege on the database even when the schema exists), then the
 * tables, indexes and function, under an advisory lock so instances starting together do not race.
 */
export function setupScript(names: PostgresNames): string {
  const schema = names.schema.slice(1, -1);
  return [
    'BEGIN',
    `SET LOCAL statement_timeout = ${SETUP_TIMEOUT_MS}`,
    `SELECT pg_advisory_xact_lock(${names.sweepLock})`,
    `DO $$ BEGIN IF to_regnamespace('${schema}') IS NULL THEN CREATE SCHEMA ${names.schema}; END IF; END $$`,
    ...tableDefinitions(names),
    'COMMIT',
  ].join(';\n');
}

/**
 * @internal Creates the tables (or, with `createTables` false, checks that they exist). A database
 * that cannot be reached does not fail startup: requests get 503 until it can, and this is tried
 * again in the background until it succeeds or `stopped()`. A refusal (a missing table, no
 * privilege) fails startup with what to do.
 */
export async function prepareTables(
  pool: SessionPostgresPool,
  names: PostgresNames,
  createTables: boolean,
  queryTimeout: number,
  logger: Logger,
  stopped: () => boolean,
): Promise<void> {
  const attempt = () => prepareOnce(pool, names, createTables, queryTimeout);
  try {
    await attempt();
    return;
  } catch (err) {
    if (!unreachable(err)) throw refusal(err, names, createTables);
    logger.error(
      `Session store (PostgreSQL) not reachable at startup (${errorMessage(err)}); requests that ` +
        'need a session get 503 until it is, and its tables are checked then',
    );
  }
  void (async () => {
    for (let retry = 0; !stopped(); retry++) {
      const delay = Math.min(RETRY_MIN_MS * 2 ** retry, RETRY_MAX_MS);
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (stopped()) return;
      try {
        await attempt();
        logger.log('Session store (PostgreSQL) reachable; its tables are ready');
        return;
      } catch (err) {
        if (unreachable(err)) continue;
        logger.error(refusal(err, names, createTables).message);
        return;
      }
    }
  })();
}

async function prepareOnce(
  pool: SessionPostgresPool,
  names: PostgresNames,
  createTables: boolean,
  queryTimeout: number,
): Promise<void> {
  if (createTables) {
    await runBounded(pool, SETUP_TIMEOUT_MS + queryTimeout, { text: setupScript(names) });
    return;
  }
  const { missing } = storeStatements(names);
  const { plain } = names;
  const values = [plain.sessions, plain.userSessions, plain.indexAdd];
  const { rows } = await runBounded(pool, queryTimeout, { text: missing.text, values });
  if (rows.length > 0) {
    const list = rows.map((row: { name: string }) => row.name).join(', ');
    throw new PostgresTablesError(
      `SessionModule: \`postgres.createTables\` is false, but ${list} missing: create them with ` +
        `the SQL in ${DOCS} (your migration tool), or set \`postgres.createTables\` to true`,
    );
  }
}

function refusal(err: unknown, names: PostgresNames, createTables: boolean): Error {
  if (err instanceof PostgresTablesError || !createTables) return err as Error;
  return new PostgresTablesError(
    `SessionModule: could not create the session tables in schema ${names.schema} ` +
      `(${errorMessage(err)}): grant the database role CREATE on that schema, or create them ` +
      `with the SQL in ${DOCS} and set \`postgres.createTables\` to false`,
  );
}

/** @internal Whether an error says the database could not be reached (not that it refused). */
export function unreachable(err: unknown): boolean {
  if (err instanceof PostgresTablesError) return false;
  const { code, severity } = (err ?? {}) as { code?: unknown; severity?: unknown };
  if (typeof severity !== 'string' || typeof code !== 'string') return true;
  // connection_exception, admin or crash shutdown, cannot_connect_now, too_many_connections.
  return /^(08|57P0|53300)/.test(code);
}
