import { Logger } from '@nestjs/common';
import { expect, it, vi } from 'vitest';
import { createPostgresSessionStore } from '../../lib/postgres/create-postgres-session-store.js';
import { SESSION_DEFAULTS } from '../../lib/options/session-defaults.js';

// An app without the optional peer `pg`: as if `npm install pg` was never run.
vi.mock('pg', () => {
  throw new Error("Cannot find package 'pg'");
});

it('names the missing package and how to install it when `postgres` is set without pg', async () => {
  const options = { ...SESSION_DEFAULTS.postgres, url: 'postgres://127.0.0.1:1/app' };
  await expect(createPostgresSessionStore(options, {}, new Logger('test'))).rejects.toThrow(
    "`postgres` is set but the 'pg' package is missing: npm install pg",
  );
});

it('loads without pg: the package is imported only when `postgres` is used', async () => {
  await expect(import('../../lib/index.js')).resolves.toHaveProperty('SessionModule');
});
