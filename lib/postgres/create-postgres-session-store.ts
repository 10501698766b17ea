import type { Logger } from '@nestjs/common';
import type { ResolvedPostgresOptions } from '../options/postgres-options.schema.js';
import { PostgresSessionStore } from '../stores/postgres-session.store.js';
import { connectPostgres } from './postgres-pool.js';
import { postgresNames } from './postgres-sql.js';
import { prepareTables } from './postgres-tables.js';

/**
 * @internal The PostgreSQL store from the resolved `postgres` options: the pool (created for
 * `url`, the app's for `pool`), the tables created or checked, the sweeper started. With
 * `legacyTable`, the store also reads connect-pg-simple's sessions from that table (migration).
 * Fails when the tables are missing and may not be created; a database that cannot be reached
 * does not fail it (requests get 503 until it can).
 */
export async function createPostgresSessionStore(
  options: ResolvedPostgresOptions,
  extras: { legacyTable?: string },
  logger: Logger,
): Promise<PostgresSessionStore> {
  if (Boolean(options.url) === Boolean(options.pool)) {
    throw new TypeError('SessionModule: `postgres` needs exactly one of `url` or `pool`');
  }
  const names = postgresNames(options.schema, options.tablePrefix);
  const connection = await connectPostgres(options, logger);
  const store = new PostgresSessionStore({
    connection,
    names,
    queryTimeout: options.queryTimeout,
    sweepInterval: options.sweepInterval,
    prepared: true,
    legacyTable: extras.legacyTable,
    logger,
  });
  try {
    const { pool } = connection;
    const { createTables, queryTimeout } = options;
    await prepareTables(pool, names, createTables, queryTimeout, logger, () => store.isClosed);
  } catch (err) {
    await store.close();
    throw err;
  }
  store.startSweeping();
  return store;
}
