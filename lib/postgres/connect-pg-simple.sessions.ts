import type { LegacySessionSource } from '../stores/session-store.interface.js';
import type { PostgresResult } from './postgres-pool.js';
import { quoteIdentifier, statement, type PostgresStatement } from './postgres-sql.js';

/**
 * @internal The sessions connect-pg-simple left in its table (`sid` varchar primary key, `sess`
 * json, `expire` timestamp; 'session' by default, or 'schema.table'), for the migration: read as
 * express-session JSON while not expired, deleted once moved over.
 */
export function connectPgSimpleSessions(
  table: string,
  run: (statement: PostgresStatement, values: unknown[]) => Promise<PostgresResult>,
): LegacySessionSource {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((part) => /^[A-Za-z_][\w$]{0,62}$/.test(part))) {
    throw new TypeError(
      `SessionModule: '${table}' is not connect-pg-simple's table: give 'table' or 'schema.table' (letters, digits, _ and $)`,
    );
  }
  const quoted = parts.map(quoteIdentifier).join('.');
  const read = statement(
    `SELECT sess::text AS sess FROM ${quoted} WHERE sid = $1 AND expire > now()`,
  );
  const remove = statement(`DELETE FROM ${quoted} WHERE sid = $1`);
  return {
    async read(sessionId) {
      const { rows } = await run(read, [sessionId]);
      return (rows[0]?.sess as string | undefined) ?? null;
    },
    async remove(sessionId) {
      await run(remove, [sessionId]);
    },
  };
}
