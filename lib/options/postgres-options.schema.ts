import { IsBoolean, IsInt, IsObject, IsOptional, Matches, Max, Min } from 'class-validator';
import type { SessionPostgresPool } from '../postgres/postgres-pool.js';

/**
 * The options under `postgres`, declared, documented and validated here once: give exactly one of
 * `url` or `pool`. The package exports this shape as `SessionPostgresOptions`; the class itself is
 * not exported. docs/postgres.md describes the tables, the sweeper and outages.
 */
export class PostgresOptionsSchema {
  /**
   * The database, as a `postgres://[user:password@]host:port/database` or `postgresql://` URL
   * (node-postgres's query parameters, such as `sslmode`, apply). The module creates a pool of
   * `poolSize` connections and ends it on shutdown. The password is never shown in an error.
   * @default none
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  url?: string;

  /**
   * A node-postgres `Pool` your app owns (`new Pool()` from the `pg` package, with its own
   * `error` listener). The module takes a client from it per statement and never ends it; its
   * LISTEN connection is a client of its own, made with the pool's options. Give the pool a
   * `statement_timeout` (docs/postgres.md#outages), as the module does for the pool it creates.
   * @default none
   */
  @IsOptional()
  @IsObject({ message: 'must be a Pool from the pg package (new Pool())' })
  pool?: SessionPostgresPool;

  /**
   * The schema the module's tables live in; created at startup when missing (with
   * `createTables`).
   * @default 'public'
   */
  @IsOptional()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
    message: 'must be a schema name: a letter or _, then up to 62 letters, digits or _',
  })
  schema?: string;

  /**
   * The start of the name of each table, index and function the module creates, and of its
   * LISTEN channel, so that several apps can share one schema. Lower-case letters, digits and _.
   * @default 'secure_session_'
   */
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_]{0,31}$/, {
    message:
      'must be 1-32 characters: a lower-case letter or _, then lower-case letters, digits or _',
  })
  tablePrefix?: string;

  /**
   * Whether the module creates its tables, indexes and function at startup when they are missing.
   * Turn it off when you create them with your own migration tool (the SQL is in
   * docs/postgres.md): the module then checks at startup that they exist, and fails if not.
   * @default true
   */
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  createTables?: boolean;

  /**
   * Milliseconds a statement may take, including waiting for a connection, before it fails and the
   * request gets a 503; also the `statement_timeout` of the pool the module creates, so the
   * database abandons it too. A slow or unreachable database cannot hold requests (or let them
   * through).
   * @default 2000
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(50, { message: 'must be at least 50 ms' })
  @Max(60_000, { message: 'must be at most 60000 ms' })
  queryTimeout?: number;

  /**
   * How many connections the pool the module creates (with `url`) may open. One more is opened
   * for LISTEN.
   * @default 10
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  @Max(1000, { message: 'must be at most 1000' })
  poolSize?: number;

  /**
   * Milliseconds between two runs of the sweeper that deletes expired sessions, tombstones and
   * index entries, each interval drawn at random within ±50% of it so that instances spread out;
   * one instance sweeps at a time.
   * @default 60000
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1000, { message: 'must be at least 1000 ms' })
  @Max(86_400_000, { message: 'must be at most 86400000 ms (a day)' })
  sweepInterval?: number;
}

/** @internal The `postgres` options with their defaults filled in, as the store receives them. */
export type ResolvedPostgresOptions = Pick<PostgresOptionsSchema, 'url' | 'pool'> &
  Required<
    Pick<
      PostgresOptionsSchema,
      'schema' | 'tablePrefix' | 'createTables' | 'queryTimeout' | 'poolSize' | 'sweepInterval'
    >
  >;
