import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { SessionOptionsError, type SessionModuleOptions } from '../../lib/index.js';
import { resolveSessionOptions } from '../../lib/options/resolve-session-options.js';

const STRONG = 'x7Gq2mV9pL4rT8wZ1cB6nH3kJ5dF0sAeYuIoPq';
const URL = 'postgres://app:s3cret@db.internal:5432/app';

function resolve(postgres: unknown) {
  const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const options = { secret: STRONG, postgres } as SessionModuleOptions;
  return resolveSessionOptions(options, logger, 'development');
}

function problemsOf(postgres: unknown): string {
  let thrown: unknown;
  try {
    resolve(postgres);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(SessionOptionsError);
  return (thrown as SessionOptionsError).message;
}

describe('the `postgres` options', () => {
  it('fill in their defaults', () => {
    expect(resolve({ url: URL }).postgres).toEqual({
      url: URL,
      schema: 'public',
      tablePrefix: 'secure_session_',
      createTables: true,
      queryTimeout: 2000,
      poolSize: 10,
      sweepInterval: 60_000,
    });
  });

  it('take a pg Pool as it is', () => {
    const pool = new pg.Pool({ connectionString: URL });
    expect(resolve({ pool }).postgres?.pool).toBe(pool);
  });

  it.each<[string, unknown, RegExp]>([
    ['a URL of another database', { url: 'mysql://db/app' }, /`postgres.url`.*postgres:\/\//],
    [
      'a table prefix that would change the SQL',
      { url: URL, tablePrefix: 'x"; DROP TABLE users; --' },
      /`postgres.tablePrefix` = .*: must be 1-32 characters/,
    ],
    ['a prefix too long for index names', { url: URL, tablePrefix: 'p'.repeat(33) }, /1-32/],
    ['a schema that is not a name', { url: URL, schema: 'a.b' }, /`postgres.schema`.*schema name/],
    ['a query timeout of 0', { url: URL, queryTimeout: 0 }, /at least 50 ms/],
    ['a sweep that would spin', { url: URL, sweepInterval: 10 }, /at least 1000 ms/],
    ['a sweep past a timer', { url: URL, sweepInterval: 2 ** 31 }, /at most 86400000 ms/],
    ['an empty pool', { url: URL, poolSize: 0 }, /`postgres.poolSize`.*at least 1/],
    ['createTables as a string', { url: URL, createTables: 'no' }, /true or false/],
  ])('refuse %s, naming the option', (_, postgres, message) => {
    expect(problemsOf(postgres)).toMatch(message);
  });

  it('never show the password of a URL they refuse', () => {
    const problems = problemsOf({ url: 'postgres://app:s3cret@db/app with space' });
    expect(problems).toMatch(/`postgres.url`/);
    expect(problems).not.toContain('s3cret');
  });
});
