/**
 * The benchmark: this module (the sample app, with the denylist guard, idle + absolute timeouts
 * and encryption at rest on) against a NestJS app without sessions (the ceiling), the usual
 * express-session + connect-redis setup, nestjs-session, and two floors doing the module's own
 * per-read work (hand-written, and on express-session) — under the same authenticated
 * `GET /auth/me` load, interleaved over rounds, with its own redis-server. Apps run on core 0,
 * Redis and the load tool (autocannon) on core 1. Also counts the Redis commands of a login.
 * Writes bench/results/benchmark.md.
 *
 *   npm run bench            env: ROUNDS (3), DURATION (10 s), CONNECTIONS (32), SESSIONS (10000)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createClient, type RedisClientType } from 'redis';
import { startRedisServer } from '../test/support/redis-server.js';
import {
  APP_CPU,
  BROWSER_USER_AGENT,
  CommandCounter,
  SIDE_CPU,
  interleaved,
  login,
  loginMany,
  median,
  medians,
  startApp as startBenchApp,
  stopApp,
  type AppKind,
} from './harness.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const SESSIONS = Number(process.env.SESSIONS ?? 10_000);
const LOGINS = 200;
const APPS = [
  'ceiling',
  'express-session',
  'usual',
  'nestjs-session',
  'secure-floor',
  'express-session-floor',
  'this',
  'this-bench',
] as const;
type ExpressApp = (typeof APPS)[number];
const LABELS: Record<ExpressApp, string> = {
  ceiling: 'NestJS, no sessions (ceiling)',
  'express-session': 'express-session alone, in memory, no guard (its own cost)',
  usual: 'express-session + connect-redis, rolling, EXISTS guard, activity interceptor',
  'nestjs-session': 'nestjs-session + connect-redis, same guard and interceptor',
  'secure-floor': "secure floor: the module's per-read work hand-written, no session library",
  'express-session-floor':
    'express-session floor: the same work in a minimal express-session store',
  this: 'nestjs-secure-session (sample: guard, timeouts, encryption)',
  'this-bench':
    "nestjs-secure-session, the sample's configuration in an app of the floor's shape (no SameOriginGuard, no ValidationPipe, one controller)",
};

const redis = await startRedisServer({
  cpu: SIDE_CPU === undefined ? undefined : Number(SIDE_CPU),
  args: ['--enable-debug-command', 'yes'],
});
const admin = createClient({ url: redis.url }) as RedisClientType;
await admin.connect();
const env = {
  ...process.env,
  REDIS_URL: redis.url,
  SESSION_SECRET: randomBytes(32).toString('hex'),
  SESSION_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
  NODE_ENV: 'development',
};

const redisCommands = new CommandCounter([admin]);
const startApp = (kind: AppKind) => startBenchApp(kind, env);

async function bytesPerSession(kind: AppKind): Promise<number> {
  await admin.flushAll();
  const app = await startApp(kind);
  const before = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
  await loginMany(app, SESSIONS, String, BROWSER_USER_AGENT);
  const after = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
  await stopApp(app);
  return (after - before) / SESSIONS;
}

async function userOperationCost(others: number, sessionsOfUser: number) {
  await admin.flushAll();
  // Other users' sessions: keys of the same shape and size, made by Redis itself (fast).
  await admin.sendCommand(['DEBUG', 'POPULATE', String(others), 'session:s:{other', '260']);
  const app = await startApp('this-bench');
  const times = { list: [] as number[], revokeAll: [] as number[] };
  const commands = { list: 0, revokeAll: 0 };
  for (let iteration = 0; iteration < 5; iteration++) {
    let cookie = '';
    for (let i = 0; i < sessionsOfUser; i++) cookie = await login(app, 'u');
    await redisCommands.reset();
    let started = performance.now();
    const listed = await fetch(`${app.base}/auth/sessions`, { headers: { cookie } });
    times.list.push(performance.now() - started);
    if (((await listed.json()) as unknown[]).length !== sessionsOfUser)
      throw new Error('list returned a wrong count');
    commands.list = await redisCommands.calls();
    await redisCommands.reset();
    started = performance.now();
    const revoked = await fetch(`${app.base}/auth/revoke-all`, {
      method: 'POST',
      headers: { cookie },
    });
    times.revokeAll.push(performance.now() - started);
    if (((await revoked.json()) as { revoked: number }).revoked !== sessionsOfUser)
      throw new Error('revokeAll missed sessions');
    commands.revokeAll = await redisCommands.calls();
  }
  await stopApp(app);
  return {
    others,
    sessionsOfUser,
    listMs: median(times.list),
    listCommands: commands.list,
    revokeAllMs: median(times.revokeAll),
    revokeAllCommands: commands.revokeAll,
  };
}

// Redis commands per login from a fresh client, by name. Commands a script runs (SET, EXISTS, ...)
// are counted beside its EVALSHA. Record writes: every SET, from a script or not, minus the
// tombstones written meanwhile (the only other SETs; each tombstone is one new `…:revoked` key).
async function loginCost(kind: AppKind) {
  await admin.flushAll();
  const app = await startApp(kind);
  await login(app, 'warm-up'); // loads the app's scripts into Redis
  const tombstones = async () => (await admin.keys('*:revoked')).length;
  const tombstonesBefore = await tombstones();
  await redisCommands.reset();
  for (let i = 0; i < LOGINS; i++) await login(app, String(i));
  const calls = await redisCommands.byName();
  const recordWrites = (calls.get('set') ?? 0) - ((await tombstones()) - tombstonesBefore);
  await stopApp(app);
  return {
    byName: [...calls]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, n]) => `${name}: ${(n / LOGINS).toFixed(2)}`)
      .join(', '),
    recordWrites: recordWrites / LOGINS,
  };
}

// 1. Throughput and latency, interleaved.
const running = await Promise.all(APPS.map((kind) => startApp(kind)));
const contenders = await Promise.all(
  running.map(async (app) => ({
    app,
    cookie: app.kind === 'ceiling' ? '' : await login(app),
    commands: redisCommands,
  })),
);
const windows = await interleaved(contenders, ROUNDS, DURATION, CONNECTIONS);
await Promise.all(running.map(stopApp));

// 2. Memory per session, and the cost of per-user operations beside many other sessions.
const bytes = new Map<ExpressApp, number>();
for (const kind of [
  'usual',
  'nestjs-session',
  'secure-floor',
  'express-session-floor',
  'this-bench',
] as const)
  bytes.set(kind, await bytesPerSession(kind));
const loginCosts = new Map<ExpressApp, Awaited<ReturnType<typeof loginCost>>>();
for (const kind of ['secure-floor', 'express-session-floor', 'this-bench'] as const)
  loginCosts.set(kind, await loginCost(kind));
const operations = [];
for (const others of [10_000, 200_000])
  for (const n of [1, 10, 100]) operations.push(await userOperationCost(others, n));

await admin.close();
await redis.stop();

// 3. The report.
const summary = new Map(APPS.map((kind, i) => [kind, medians(windows[i]!)]));
const ceiling = summary.get('ceiling')!;
const floor = summary.get('secure-floor')!;
const nestjsSession = summary.get('nestjs-session')!;
const ours = summary.get('this')!;
const oursBench = summary.get('this-bench')!;
const ourBytes = bytes.get('this-bench')!;
const ourLogin = loginCosts.get('this-bench')!;
type Summary = NonNullable<ReturnType<typeof summary.get>>;
const TARGETS: [string, (o: Summary) => number, (v: number) => boolean][] = [
  ["≥ 0.90 × secure-floor's requests/s", (o) => o.rps / floor.rps, (v) => v >= 0.9],
  ["≥ 1.25 × nestjs-session's requests/s", (o) => o.rps / nestjsSession.rps, (v) => v >= 1.25],
  ["p99 ≤ 1.2 × secure-floor's p99", (o) => o.p99 / floor.p99, (v) => v <= 1.2],
  [
    '1 Redis command (round trip) per authenticated read-only request',
    (o) => o.commands,
    (v) => Math.abs(v - 1) < 0.01,
  ],
];
const check = (ok: boolean) => (ok ? 'met' : '**not met**');
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const report = [
  `# Benchmark — ${new Date().toISOString()}`,
  '',
  `${ROUNDS} interleaved rounds of ${DURATION} s (after 3 s warm-up), ${CONNECTIONS} connections, authenticated \`GET /auth/me\`; ` +
    `${APP_CPU ? 'apps on core 0, Redis and autocannon on core 1' : 'one core: not pinned'}; Node ${process.version}; medians over rounds.`,
  '',
  '| app | req/s | × ceiling | × secure-floor | p50 ms | p99 ms | p99 × ceiling | Redis commands / request | Redis bytes / session |',
  '|---|---|---|---|---|---|---|---|---|',
  ...APPS.map((kind) => {
    const s = summary.get(kind)!;
    const b = bytes.get(kind === 'this' ? 'this-bench' : kind);
    return `| ${LABELS[kind]} | ${s.rps.toFixed(0)} | ${ratio(s.rps, ceiling.rps)} | ${ratio(s.rps, floor.rps)} | ${s.p50} | ${s.p99} | ${ratio(s.p99, ceiling.p99)} | ${s.commands.toFixed(2)} | ${b === undefined ? '—' : b.toFixed(0)} |`;
  }),
  '',
  `Bytes per session: \`used_memory\` growth over ${SESSIONS} logins (metadata, index and encryption included for this module, ` +
    "measured on the bench app with the sample's configuration, since the sample's scrypt login would take minutes).",
  '',
  '## Targets (this module, same run)',
  '',
  "Measured on the sample, and on the same configuration in an app of the floor's shape (the floor has no SameOriginGuard, no ValidationPipe and one controller).",
  '',
  '| target | sample | | floor-shaped app | |',
  '|---|---|---|---|---|',
  ...TARGETS.map(([label, measure, ok]) => {
    const [a, b] = [measure(ours), measure(oursBench)];
    return `| ${label} | ${a.toFixed(2)} | ${check(ok(a))} | ${b.toFixed(2)} | ${check(ok(b))} |`;
  }),
  `| 1 session record write per login | | | ${ourLogin.recordWrites.toFixed(2)} | ${check(Math.abs(ourLogin.recordWrites - 1) < 0.01)} |`,
  `| Redis bytes per session no higher than the 623 before the engine | | | ${ourBytes.toFixed(0)} | ${check(Math.round(ourBytes) <= 623)} |`,
  '',
  '## Login cost',
  '',
  `${LOGINS} logins (\`POST /login/:id\`), each from a fresh client, after one warm-up login; \`INFO commandstats\` deltas per login. ` +
    'Redis counts the commands a script runs beside its EVALSHA, so these are not all round trips. Record writes: SETs minus the tombstones written.',
  '',
  '| app | Redis commands / login, by name | record writes / login |',
  '|---|---|---|',
  ...[...loginCosts].map(
    ([kind, cost]) => `| ${LABELS[kind]} | ${cost.byName} | ${cost.recordWrites.toFixed(2)} |`,
  ),
  '',
  '## Per-user operations beside other sessions',
  '',
  'A user with N sessions while 10k or 200k other sessions exist (DEBUG POPULATE keys of the same shape). Medians of 5.',
  '',
  '| other sessions | N | list ms | list Redis commands | revokeAll ms | revokeAll Redis commands |',
  '|---|---|---|---|---|---|',
  ...operations.map(
    (o) =>
      `| ${o.others} | ${o.sessionsOfUser} | ${o.listMs.toFixed(2)} | ${o.listCommands} | ${o.revokeAllMs.toFixed(2)} | ${o.revokeAllCommands} |`,
  ),
  '',
].join('\n');
console.log(report);
writeFileSync(new URL('../../bench/results/benchmark.md', import.meta.url), report);
