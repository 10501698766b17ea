import { createHash } from 'node:crypto';

/** @internal A statement of the store: its text and the name it is prepared under. */
export interface PostgresStatement {
  /** Derived from the text, so stores of different schemas or prefixes never share a name. */
  name: string;
  text: string;
}

/** @internal The names of everything the store keeps in the database, quoted where SQL needs. */
export interface PostgresNames {
  /** `"schema"`. */
  schema: string;
  /** `"schema"."<prefix>sessions"`: records and tombstones. */
  sessions: string;
  /** `"schema"."<prefix>user_sessions"`: the per-user index. */
  userSessions: string;
  /** `"schema"."<prefix>index_add"`: the per-user index's add, atomic. */
  indexAdd: string;
  /** The LISTEN/NOTIFY channel of ended sessions (unquoted; it is passed as a value too). */
  channel: string;
  /** Unquoted, as `to_regclass()` and `to_regprocedure()` take them. */
  plain: { sessions: string; userSessions: string; indexAdd: string };
  prefix: string;
  /** The advisory-lock key the sweeper takes (one bigint), as a decimal string. */
  sweepLock: string;
  /** The first key of the advisory locks on one user's index (two int4 keys: this, the user). */
  indexLockClass: number;
}

// Quoted, an identifier may hold anything but a double quote; these are the ones the options allow.
const IDENTIFIER = /^[A-Za-z_][\w$]{0,62}$/;

/** @internal A schema or table name checked and quoted, so no name can change a statement. */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`Not a safe SQL identifier: '${name}'`);
  return `"${name}"`;
}

/** @internal The store's names under `schema`, each starting with `prefix`. */
export function postgresNames(schema: string, prefix: string): PostgresNames {
  const s = quoteIdentifier(schema);
  const plain = {
    sessions: `${s}.${quoteIdentifier(`${prefix}sessions`)}`,
    userSessions: `${s}.${quoteIdentifier(`${prefix}user_sessions`)}`,
    indexAdd: `${s}.${quoteIdentifier(`${prefix}index_add`)}`,
  };
  // The length of an index's name is checked too.
  quoteIdentifier(`${prefix}user_sessions_expires_at`);
  const digest = createHash('sha256').update(`${schema}.${prefix}`).digest();
  return {
    schema: s,
    ...plain,
    plain: { ...plain, indexAdd: `${plain.indexAdd}(text,text,bigint,bigint,bigint)` },
    prefix,
    channel: `${prefix}ended_${digest.subarray(0, 4).toString('hex')}`,
    sweepLock: digest.readBigInt64BE(4).toString(),
    indexLockClass: digest.readInt32BE(12),
  };
}

/**
 * @internal The tables, indexes and function the store needs, in order, each idempotent, in a
 * schema that exists. This is the SQL the module runs at startup (`createTables`, after creating
 * the schema if it is missing) and the SQL docs/postgres.md shows.
 */
export function tableDefinitions(n: PostgresNames): string[] {
  const p = n.prefix;
  return [
    // A record, or a tombstone (record NULL) of a revoked session: one row per handle, so that a
    // write refused after a revocation is one statement.
    `CREATE TABLE IF NOT EXISTS ${n.sessions} (
  handle text COLLATE "C" PRIMARY KEY,
  record bytea,
  expires_at timestamptz NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS "${p}sessions_expires_at" ON ${n.sessions} (expires_at)`,
    `CREATE TABLE IF NOT EXISTS ${n.userSessions} (
  user_key text COLLATE "C" NOT NULL,
  handle text COLLATE "C" NOT NULL,
  added_at bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (user_key, handle)
)`,
    `CREATE INDEX IF NOT EXISTS "${p}user_sessions_added_at" ON ${n.userSessions} (user_key, added_at)`,
    `CREATE INDEX IF NOT EXISTS "${p}user_sessions_expires_at" ON ${n.userSessions} (expires_at)`,
    // A function, not a statement with CTEs: every statement of a CTE sees the snapshot taken
    // before a concurrent add committed, so two logins of one user at once would each count
    // without the other. The lock serialises adds to one user's index; each statement in the
    // function then sees the one before.
    `CREATE OR REPLACE FUNCTION ${n.indexAdd}(
  p_user_key text, p_handle text, p_added_at bigint, p_stale_before bigint, p_ttl_ms bigint
) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(${n.indexLockClass}, hashtext(p_user_key));
  DELETE FROM ${n.userSessions}
    WHERE user_key = p_user_key AND (added_at < p_stale_before OR expires_at <= now())
      AND (handle <> p_handle OR p_added_at < p_stale_before);
  IF p_added_at >= p_stale_before THEN
    INSERT INTO ${n.userSessions} AS u (user_key, handle, added_at, expires_at)
      VALUES (p_user_key, p_handle, p_added_at, now() + p_ttl_ms * interval '1 millisecond')
      ON CONFLICT (user_key, handle) DO UPDATE
        SET added_at = excluded.added_at, expires_at = greatest(u.expires_at, excluded.expires_at);
  END IF;
  RETURN (SELECT count(*) FROM ${n.userSessions} WHERE user_key = p_user_key AND expires_at > now());
END
$$`,
  ];
}

/** @internal The store's statements. TTLs are in ms; expiry is on the database's clock. */
export function storeStatements(n: PostgresNames) {
  const live = 'expires_at > now()';
  const deadline = (param: string) => `now() + ${param}::bigint * interval '1 millisecond'`;
  return {
    read: statement(
      `SELECT record FROM ${n.sessions} WHERE handle = $1 AND record IS NOT NULL AND ${live}`,
    ),
    readMany: statement(
      `SELECT handle, record FROM ${n.sessions} WHERE handle = ANY($1::text[]) AND record IS NOT NULL AND ${live}`,
    ),
    isRevoked: statement(
      `SELECT 1 FROM ${n.sessions} WHERE handle = $1 AND record IS NULL AND ${live}`,
    ),
    // Writes unless the row is a live tombstone; rowCount says whether it wrote.
    write: statement(`INSERT INTO ${n.sessions} AS s (handle, record, expires_at)
VALUES ($1, $2, ${deadline('$3')})
ON CONFLICT (handle) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at
WHERE s.record IS NOT NULL OR s.expires_at <= now()`),
    // Locks the row and reads it (the join makes the read come first), then turns it into a
    // tombstone, or inserts one; returns whether a live record was there.
    revoke: statement(`WITH old AS (
  SELECT record IS NOT NULL AND ${live} AS live FROM ${n.sessions} WHERE handle = $1 FOR UPDATE
)
INSERT INTO ${n.sessions} AS s (handle, record, expires_at)
SELECT $1, NULL, ${deadline('$2')} FROM (VALUES (1)) AS one LEFT JOIN old ON true
ON CONFLICT (handle) DO UPDATE SET record = NULL, expires_at = excluded.expires_at
RETURNING coalesce((SELECT live FROM old), false) AS existed`),
    indexAdd: statement(`SELECT ${n.indexAdd}($1, $2, $3, $4, $5) AS count`),
    indexPage: statement(`SELECT handle, added_at FROM ${n.userSessions}
WHERE user_key = $1 AND ${live} ORDER BY added_at, handle OFFSET $2 LIMIT $3`),
    indexRemove: statement(
      `DELETE FROM ${n.userSessions} WHERE user_key = $1 AND handle = ANY($2::text[])`,
    ),
    announce: statement(`SELECT pg_notify($1, chunk) FROM unnest($2::text[]) AS chunk`),
    ping: statement('SELECT 1'),
    // One batch of the sweeper, only while no other instance sweeps (the lock ends with the
    // statement's transaction). $1: batch size. Returns whether it had the lock, and how many rows
    // it deleted.
    sweepSessions: sweepStatement(n, n.sessions),
    sweepUserSessions: sweepStatement(n, n.userSessions),
    // What is missing, for createTables: false.
    missing: statement(`SELECT name FROM (VALUES
  ($1::text, to_regclass($1) IS NULL),
  ($2::text, to_regclass($2) IS NULL),
  ($3::text, to_regprocedure($3) IS NULL)
) AS wanted (name, absent) WHERE absent`),
  };
}

// The rows are picked by the expires_at index and deleted by their ctid (a TID scan): a join on
// the key made the planner hash every expired row for each batch.
function sweepStatement(n: PostgresNames, table: string): PostgresStatement {
  return statement(`WITH lock AS (SELECT pg_try_advisory_xact_lock(${n.sweepLock}) AS held),
doomed AS (
  SELECT ctid FROM ${table} WHERE expires_at <= now() AND (SELECT held FROM lock)
  ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
),
gone AS (
  DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM doomed)) AND expires_at <= now()
  RETURNING 1
)
SELECT (SELECT held FROM lock) AS held, (SELECT count(*) FROM gone)::int AS deleted`);
}

/** @internal A statement named after its text. */
export function statement(text: string): PostgresStatement {
  const name = `nss_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  return { name, text };
}
