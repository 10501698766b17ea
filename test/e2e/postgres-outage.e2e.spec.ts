import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.js';
import { handleOf, login, startSample, type SampleUnderTest } from '../support/sample-app.js';
import { openSocketIo, socketIoClosed } from '../support/websocket-clients.js';

const PREFIX = 'outage_';
const QUERY_TIMEOUT = 2000; // the sample leaves `postgres.queryTimeout` at its default
const portOf = (app: INestApplication) => (app.getHttpServer().address() as AddressInfo).port;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// What a user sees when PostgreSQL fails under a running app: 503 at once or within the query
// timeout, never a hang or a starved pool; back to work when the database is, without a restart;
// nothing lost, nothing revived; and sessions that ended while an instance could not hear of it
// still close their connections. On a PostgreSQL of its own, which these tests stop and break.
describe('two sample instances on a PostgreSQL that fails', () => {
  let server: PostgresServer;
  let a: SampleUnderTest;
  let b: SampleUnderTest;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startPostgresServer();
    const env = {
      DATABASE_URL: server.url,
      SESSION_TABLE_PREFIX: PREFIX,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
    };
    a = await startSample(env);
    b = await startSample(env);
    await b.app.listen(0, '127.0.0.1');
  }, 60_000);
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await server?.stop();
  });

  async function sql(text: string, values: unknown[] = []) {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  }

  const me = (instance: SampleUnderTest, cookie: string) =>
    instance.http.get('/auth/me').set('Cookie', cookie);

  it('closes the connections of a session that ended while its LISTEN connection was down', async () => {
    const cookie = await login(a);
    const socket = await openSocketIo(`http://127.0.0.1:${portOf(b.app)}/realtime`, { cookie });
    sockets.push(socket);
    const closed = socketIoClosed(socket);
    // The session ends with no announcement anyone could hear (as when the instance that ended
    // it lost its connection before NOTIFY), and every connection of the module is cut.
    await sql(
      `UPDATE "public"."${PREFIX}sessions" SET record = NULL, expires_at = now() + interval '1 hour' WHERE handle = $1`,
      [handleOf(cookie)],
    );
    await sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'sessions' AND pid <> pg_backend_pid()",
    );
    const started = Date.now();
    await expect(Promise.race([closed, sleep(5000).then(() => 'still open')])).resolves.toBe(
      'transport close',
    );
    expect(Date.now() - started).toBeLessThan(3000);
    await me(b, cookie).expect(401);
    // Every instance got its connections back.
    const fresh = await login(a);
    await me(b, fresh).expect(200);
  });

  it('answers 503 within the query timeout while a lock holds every statement, and frees the pool after', async () => {
    const cookie = await login(a);
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "public"."${PREFIX}sessions" IN ACCESS EXCLUSIVE MODE`);
      // Three times as many requests as the pool has connections.
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => me(a, cookie).then((res) => res.status)),
      );
      expect(new Set(answers)).toEqual(new Set([503]));
      expect(Date.now() - started).toBeLessThan(2 * QUERY_TIMEOUT + 1000);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    await me(a, cookie).expect(200);
  });

  it('answers 503 at once while the server is down, and serves the same sessions once it is back', async () => {
    const kept = await login(a, 'alice');
    const loggedOut = await login(a, 'bob');
    await a.http.post('/auth/logout').set('Cookie', loggedOut).expect(204);

    await server.kill();
    try {
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => me(a, kept).then((res) => res.status)),
      );
      expect(new Set(answers)).toEqual(new Set([503]));
      expect(Date.now() - started).toBeLessThan(QUERY_TIMEOUT + 1000);
      const health = await a.http.get('/health');
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'unavailable', store: 'postgres' });
      // A logout that cannot reach the store says so; it does not pretend.
      await a.http.post('/auth/logout').set('Cookie', kept).expect(503);
    } finally {
      await server.start();
    }

    // Back without restarting either instance: the session is still there, the logged-out one
    // is still logged out.
    await expect.poll(async () => (await me(a, kept)).status, { timeout: 10_000 }).toBe(200);
    await me(b, kept).expect(200);
    await me(a, loggedOut).expect(401);
    await me(b, loggedOut).expect(401);
    await a.http.get('/health').expect(200);
  }, 30_000);
});
