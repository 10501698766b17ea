/**
 * The module on PostgreSQL (issue 19) against express-session + connect-pg-simple (the usual
 * settings, bench/apps/connect-pg-simple.module.ts) and against the module on Redis, on one
 * PostgreSQL and one redis-server that the bench starts itself. Each app on PostgreSQL gets a
 * database of its own; both pools hold POOL_SIZE connections.
 *
 * 1. Authenticated reads (`GET /auth/me`), interleaved over rounds as run.ts does, with NestJS
 *    without sessions as the ceiling.
 * 2. Statements per login (SESSIONS logins of distinct users, a browser's User-Agent) and per read
 *    (READS of one session), each app alone: counted by PostgreSQL (postgres-probe.ts): its
 *    statement log, the transactions that wrote, the rows written per table.
 * 3. Bytes per session on disk: the growth of the app's tables and indexes over those logins;
 *    the module with and without `encryptionKeys`.
 * 4. `list()` and `revokeAll()` over USER_SESSIONS sessions of one user, on PostgreSQL and on
 *    Redis, then every one of its cookies must get 401 and another user's 200. Timed with the
 *    statement log off; on PostgreSQL a second user's sessions are then listed and revoked with
 *    it on, to count the statements.
 * 5. Where a read goes: each app under load once more, CPU-profiled (profiled-load.ts), with each
 *    core's and PostgreSQL's CPU time.
 *
 * Apps run on core 0; PostgreSQL, Redis and autocannon on core 1. Writes
 * bench/results/postgres.md; exits 1 when a check fails.
 *
 *   npm run bench:postgres   env: ROUNDS (3), DURATION (10 s), CONNECTIONS (32), SESSIONS (10000),
 *                            READS (200), USER_SESSIONS (10000), POOL_SIZE (10)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { createClient, type RedisClientType } from 'redis';
import { startPostgresServer } from '../test/support/postgres-server.js';
import { startRedisServer } from '../test/support/redis-server.js';
import {
  APP_CPU,
  BROWSER_USER_AGENT,
  CommandCounter,
  SIDE_CPU,
  interleaved,
  login,
  loginMany,
  startApp,
  statusesOf,
  stopApp,
  type AppKind,
  type RunningApp,
} from './harness.js';
import { PostgresProbe, writesBetween } from './postgres-probe.js';
import {
  APPS,
  BACKGROUND,
  postgresReport,
  type Answer,
  type PostgresApp,
  type StoreCost,
  type UserSessions,
} from './postgres-report.js';
import { profiledLoad } from './profiled-load.js';

const settings = {
  ROUNDS: Number(process.env.ROUNDS ?? 3),
  DURATION: Number(process.env.DURATION ?? 10),
  CONNECTIONS: Number(process.env.CONNECTIONS ?? 32),
  SESSIONS: Number(process.env.SESSIONS ?? 10_000),
  READS: Number(process.env.READS ?? 200),
  USER_SESSIONS: Number(process.env.USER_SESSIONS ?? 10_000),
  POOL_SIZE: Number(process.env.POOL_SIZE ?? 10),
};
const { ROUNDS, DURATION, CONNECTIONS, SESSIONS, READS, USER_SESSIONS, POOL_SIZE } = settings;

const started = Date.now();
// Other work on the machine shows in every app's figures; the ratios, measured interleaved, less.
const loadBefore = loadavg()[0]!;
const postgres = await startPostgresServer();
const probe = await PostgresProbe.attach(postgres, SIDE_CPU);
const redis = await startRedisServer({
  cpu: SIDE_CPU === undefined ? undefined : Number(SIDE_CPU),
});
const redisAdmin = createClient({ url: redis.url }) as RedisClientType;
await redisAdmin.connect();
const redisCommands = new CommandCounter([redisAdmin]);
const env = {
  ...process.env,
  REDIS_URL: redis.url,
  PG_POOL_SIZE: String(POOL_SIZE),
  SESSION_SECRET: randomBytes(32).toString('hex'),
  SESSION_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
  NODE_ENV: 'development',
};
const failures: string[] = [];
const onPostgres = (kind: AppKind): kind is PostgresApp =>
  kind === 'this-postgres' || kind === 'connect-pg-simple';

/** The app's environment: one on PostgreSQL gets a new database, named after the phase and app. */
async function envFor(phase: string, kind: AppKind, appEnv: NodeJS.ProcessEnv = env) {
  const database = `${phase}_${kind.replaceAll('-', '_')}`;
  if (!onPostgres(kind)) return { database, env: appEnv };
  return { database, env: { ...appEnv, DATABASE_URL: await probe.createDatabase(database) } };
}
async function startIn(phase: string, kind: AppKind, appEnv?: NodeJS.ProcessEnv) {
  const { database, env: startEnv } = await envFor(phase, kind, appEnv);
  return { app: await startApp(kind, startEnv), database };
}

// 1. Throughput and latency, interleaved.
const running: RunningApp[] = [];
for (const kind of APPS) running.push((await startIn('load', kind)).app);
const contenders = [];
for (const app of running) {
  const cookie = app.kind === 'ceiling' ? '' : await login(app);
  contenders.push({ app, cookie, commands: redisCommands });
}
const windows = await interleaved(contenders, ROUNDS, DURATION, CONNECTIONS);
await Promise.all(running.map(stopApp));

// 2 and 3. What a login and a read run, and what the sessions take on disk, each app alone.
async function storeCost(
  phase: string,
  kind: PostgresApp,
  appEnv: NodeJS.ProcessEnv = env,
): Promise<StoreCost> {
  const { app, database } = await startIn(phase, kind, appEnv);
  try {
    await statusesOf(app, [await login(app, 'warm-up', BROWSER_USER_AGENT)]);
    const sizesBefore = await probe.sizes(database);
    const writes0 = await probe.writes(database);
    const logins = await probe.count(database, () =>
      loginMany(app, SESSIONS, (i) => `user-${i}`, BROWSER_USER_AGENT),
    );
    const sizesAfter = await probe.sizes(database);
    const writes1 = await probe.writes(database);
    const cookie = logins.result[0]!;
    const reads = await probe.count(database, () =>
      statusesOf(
        app,
        Array.from({ length: READS }, () => cookie),
      ),
    );
    const writes2 = await probe.writes(database);
    if (reads.result.some((status) => status !== 200))
      failures.push(`${phase} ${kind}: a read failed`);
    for (const { errors } of [logins, reads])
      if (errors.length > 0)
        failures.push(`${phase} ${kind}: ${errors.length} errors, "${errors[0]}"`);
    return {
      logins: { ...logins, rows: writesBetween(writes0, writes1) },
      reads: { ...reads, rows: writesBetween(writes1, writes2) },
      sizesBefore,
      sizesAfter,
    };
  } finally {
    await stopApp(app);
  }
}
const costs = {
  'this-postgres': await storeCost('cost', 'this-postgres'),
  'connect-pg-simple': await storeCost('cost', 'connect-pg-simple'),
};
const { SESSION_ENCRYPTION_KEYS: _, ...plainEnv } = env;
const plain = await storeCost('plain', 'this-postgres', plainEnv);

// 4. One user's sessions listed and revoked.
async function call(app: RunningApp, cookie: string, method: 'GET' | 'POST', path: string) {
  const callStarted = performance.now();
  const res = await fetch(`${app.base}${path}`, { method, headers: { cookie } });
  const body = (await res.json()) as unknown[] | { revoked: number };
  const count = Array.isArray(body) ? body.length : body.revoked;
  return { ms: performance.now() - callStarted, status: res.status, count } satisfies Answer;
}
/** Store calls of `action`: statements in the app's database, or Redis commands. */
async function storeCalls(kind: AppKind, database: string, action: () => Promise<Answer>) {
  if (onPostgres(kind)) {
    const { result, statements } = await probe.count(database, action);
    return { result, calls: statements.filter((sql) => !BACKGROUND.test(sql)).length };
  }
  await redisCommands.reset();
  const result = await action();
  return { result, calls: await redisCommands.calls() };
}
async function userSessions(kind: 'this-postgres' | 'this-bench'): Promise<UserSessions> {
  await redisAdmin.flushAll();
  const { app, database } = await startIn('users', kind);
  // Logs the user in USER_SESSIONS times, lists and revokes; counted or not.
  const cycle = async (user: string, counted: boolean) => {
    const loginStarted = performance.now();
    const cookies = await loginMany(app, USER_SESSIONS, () => user);
    const loginSeconds = (performance.now() - loginStarted) / 1000;
    const list = () => call(app, cookies[0]!, 'GET', '/auth/sessions');
    const revokeAll = () => call(app, cookies[0]!, 'POST', '/auth/revoke-all');
    const lists: Answer[] = [];
    for (let i = 0; i < 5; i++) lists.push(await list());
    const listed = counted ? await storeCalls(kind, database, list) : undefined;
    const revoked = counted ? await storeCalls(kind, database, revokeAll) : undefined;
    const answers = { lists, revoked: revoked?.result ?? (await revokeAll()) };
    const survivors = (await statusesOf(app, cookies)).filter((s) => s !== 401).length;
    for (const answer of [...answers.lists, answers.revoked])
      if (answer.status !== 200 || answer.count !== USER_SESSIONS)
        failures.push(`${kind}: answered ${answer.status}, ${answer.count} sessions`);
    if (survivors > 0) failures.push(`${kind}: ${survivors} cookies not 401 after revokeAll()`);
    const calls = { listCalls: listed?.calls ?? 0, revokeAllCalls: revoked?.calls ?? 0 };
    return { loginSeconds, ...answers, survivors, ...calls };
  };
  try {
    const other = await login(app, 'other');
    // On Redis counting costs nothing; on PostgreSQL the statement log is on while counting.
    const timed = await cycle('heavy', !onPostgres(kind));
    const counted = onPostgres(kind) ? await cycle('heavy-counted', true) : timed;
    const [otherAfter] = await statusesOf(app, [other]);
    if (otherAfter !== 200) failures.push(`${kind}: the other user's session got ${otherAfter}`);
    return {
      ...timed,
      listCalls: counted.listCalls,
      revokeAllCalls: counted.revokeAllCalls,
      otherAfter,
    };
  } finally {
    await stopApp(app);
  }
}
const users = {
  postgres: await userSessions('this-postgres'),
  redis: await userSessions('this-bench'),
};

// 5. Where a read goes.
const profiles = [];
for (const kind of ['this-postgres', 'connect-pg-simple', 'this-bench'] as const) {
  const window = await profiledLoad(kind, {
    env: (await envFor('profile', kind)).env,
    seconds: DURATION,
    connections: CONNECTIONS,
    commands: redisCommands,
    others: () => probe.serverPids(),
  });
  profiles.push({ kind, window });
}

const version = await probe.version();
await probe.close();
await redisAdmin.close();
await Promise.all([postgres.stop(), redis.stop()]);
const loadAfter = loadavg()[0]!;
const minutes = ((Date.now() - started) / 60_000).toFixed(1);

const context =
  `Node ${process.version}, ${availableParallelism()} cores (nproc), PostgreSQL ${version} as test/support/postgres-server.ts starts it ` +
  '(fsync, synchronous_commit and full_page_writes off: writes cost less than on a production server), ' +
  `${APP_CPU ? 'apps on core 0; PostgreSQL, Redis and autocannon on core 1' : 'one core: not pinned'}. ` +
  `Load average (1 min) ${loadBefore.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end ` +
  `(the bench's own apps, databases and autocannon take up to 2); the whole run took ${minutes} min.`;
const report = postgresReport({
  settings,
  context,
  windows,
  costs,
  plain,
  users,
  profiles,
  failures,
});
console.log(report);
// Compiled to dist-bench/bench/: results go to the source tree's bench/results/.
writeFileSync(new URL('../../bench/results/postgres.md', import.meta.url), report);
if (failures.length > 0) {
  console.error(`FAILED: ${failures.join('; ')}`);
  process.exitCode = 1;
}
