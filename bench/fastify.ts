/**
 * The benchmark on Fastify (issue 18): this module on Fastify against Nest on Fastify with no
 * sessions (the ceiling), a Fastify secure floor (the module's per-read work by hand in a Fastify
 * hook), @fastify/session + connect-redis (`saveUninitialized: false`, `rolling: true`, the
 * Express baselines' EXISTS guard and activity interceptor) and @fastify/secure-session
 * (stateless, for reference); and against this module, the ceiling and the secure floor on
 * Express, in the same run. The load is run.ts's: an authenticated `GET /auth/me`, interleaved
 * over rounds, its own redis-server; apps on core 0, Redis and autocannon on core 1.
 *
 * Then a CPU profile of a read on Fastify: the module's app, and the Fastify secure floor for
 * comparison, each under the same load with V8's CPU profiler running for the load window only
 * (serve.ts, BENCH_CPU_PROFILE), summarised by cpu-profile.ts. The raw profiles go to a
 * temporary directory and are deleted.
 *
 * Writes bench/results/fastify.md and bench/results/fastify-profile.md.
 *
 *   npm run bench:fastify    env: ROUNDS (3), DURATION (10 s), CONNECTIONS (32), PROFILE_SECONDS (10)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createClient, type RedisClientType } from 'redis';
import { startRedisServer } from '../test/support/redis-server.js';
import { BENCH_APP, MODULE, summariseProfile } from './cpu-profile.js';
import {
  APP_CPU,
  CommandCounter,
  SIDE_CPU,
  interleaved,
  login,
  medians,
  startApp as startBenchApp,
  stopApp,
  type AppKind,
  type LoadResult,
} from './harness.js';
import { profiledLoad } from './profiled-load.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const PROFILE_SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
// The apps a target compares are next to each other, so that each round measures them close in time.
const APPS = [
  'fastify-ceiling',
  'fastify-secure-floor',
  'this-fastify',
  'fastify-session',
  'fastify-secure-session',
  'this-bench',
  'secure-floor',
  'ceiling',
] as const;
type App = (typeof APPS)[number];
const LABELS: Record<App, string> = {
  'fastify-ceiling': 'Fastify: NestJS, no sessions (ceiling)',
  'fastify-secure-floor':
    "Fastify: secure floor (the module's per-read work by hand in an onRequest hook)",
  'fastify-session':
    'Fastify: @fastify/session + connect-redis, rolling, EXISTS guard, activity interceptor',
  'fastify-secure-session':
    'Fastify: @fastify/secure-session (stateless cookie, no store), floor guard and interceptor',
  'this-fastify': 'Fastify: nestjs-secure-session (the bench app: guard, timeouts, encryption)',
  ceiling: 'Express: NestJS, no sessions (ceiling)',
  'secure-floor': 'Express: secure floor',
  'this-bench': 'Express: nestjs-secure-session (the same bench app)',
};

const redis = await startRedisServer({
  cpu: SIDE_CPU === undefined ? undefined : Number(SIDE_CPU),
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
const started = Date.now();
// Other work on the machine shows in every app's figures; the ratios, measured interleaved, less.
const loadBefore = loadavg()[0]!;

// 1. Throughput and latency, interleaved.
const running = await Promise.all(APPS.map((kind) => startBenchApp(kind, env)));
const contenders = await Promise.all(
  running.map(async (app) => ({
    app,
    cookie: app.kind.endsWith('ceiling') ? '' : await login(app),
    commands: redisCommands,
  })),
);
const windows = await interleaved(contenders, ROUNDS, DURATION, CONNECTIONS);
const results = new Map<AppKind, LoadResult[]>(APPS.map((kind, i) => [kind, windows[i]!]));
await Promise.all(running.map(stopApp));

// 2. Where a read's time goes: a CPU profile over one load window, after a warm-up.
async function profiled(kind: App, own: string) {
  const { result, profile } = await profiledLoad(kind, {
    env,
    seconds: PROFILE_SECONDS,
    connections: CONNECTIONS,
    commands: redisCommands,
  });
  return { result, summary: summariseProfile(LABELS[kind], profile, result.requests, own) };
}
const profiles = [
  await profiled('this-fastify', MODULE),
  await profiled('fastify-secure-floor', BENCH_APP),
];

await admin.close();
await redis.stop();
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const loadAfter = loadavg()[0]!;

// 3. The report.
const summary = new Map(APPS.map((kind, i) => [kind, medians(windows[i]!)]));
const of = (kind: App) => summary.get(kind)!;
const ours = of('this-fastify');
const floor = of('fastify-secure-floor');
const fastifySession = of('fastify-session');
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const check = (ok: boolean) => (ok ? 'met' : '**not met**');
// Each round's ratio too: how much the machine's other work moved the figures between rounds.
const perRound = (measure: (r: LoadResult) => number, other: App) =>
  results
    .get('this-fastify')!
    .map((r, i) => (measure(r) / measure(results.get(other)![i]!)).toFixed(2))
    .join(', ');
const TARGETS: [string, number, boolean, string][] = [
  [
    "≥ 0.90 × the Fastify secure floor's requests/s",
    ours.rps / floor.rps,
    ours.rps / floor.rps >= 0.9,
    perRound((r) => r.rps, 'fastify-secure-floor'),
  ],
  [
    "≥ 1.25 × @fastify/session + connect-redis's requests/s",
    ours.rps / fastifySession.rps,
    ours.rps / fastifySession.rps >= 1.25,
    perRound((r) => r.rps, 'fastify-session'),
  ],
  [
    "p99 ≤ 1.2 × the Fastify secure floor's p99",
    ours.p99 / floor.p99,
    ours.p99 / floor.p99 <= 1.2,
    perRound((r) => r.p99, 'fastify-secure-floor'),
  ],
  [
    '1 Redis command per authenticated read-only request',
    ours.commands,
    Math.abs(ours.commands - 1) < 0.01,
    results
      .get('this-fastify')!
      .map((r) => r.commandsPerRequest.toFixed(2))
      .join(', '),
  ],
];
const context = [
  `Node ${process.version}, ${cpus().length} cores (nproc), ` +
    `${APP_CPU ? 'apps on core 0, Redis and autocannon on core 1' : 'one core: not pinned'}; ` +
    `${ROUNDS} interleaved rounds of ${DURATION} s (after 3 s warm-up), ${CONNECTIONS} connections, ` +
    'authenticated `GET /auth/me`; medians over rounds. ' +
    `Load average (1 min) ${loadBefore.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end (the bench's own apps, Redis and autocannon take up to 2).`,
  '',
  `Command: \`npm run bench:fastify\` (ROUNDS=${ROUNDS} DURATION=${DURATION} CONNECTIONS=${CONNECTIONS} PROFILE_SECONDS=${PROFILE_SECONDS}); the whole run took ${minutes} min.`,
];
const report = [
  `# Benchmark on Fastify — ${new Date().toISOString()}`,
  '',
  ...context,
  '',
  'Every app answers the same authenticated read: the session apps hold the same contents (user, creation and activity stamps, IP, user agent); ' +
    "this module's app is the bench app of benchmark.md (`this-bench`: global guard, idle and absolute timeouts, encryption at rest), " +
    "the same module on both platforms. The floors and @fastify/secure-session run the floors' global guard (a user is required) and deadline interceptor; " +
    "@fastify/session runs the Express baselines' EXISTS-denylist guard and last-activity interceptor, and with `rolling: true` writes the session on every request, as they do.",
  '',
  '| app | req/s | × Fastify ceiling | × Fastify secure floor | p50 ms | p99 ms | p99 × Fastify secure floor | Redis commands / request |',
  '|---|---|---|---|---|---|---|---|',
  ...APPS.map((kind) => {
    const s = of(kind);
    return `| ${LABELS[kind]} | ${s.rps.toFixed(0)} | ${ratio(s.rps, of('fastify-ceiling').rps)} | ${ratio(s.rps, floor.rps)} | ${s.p50} | ${s.p99} | ${ratio(s.p99, floor.p99)} | ${s.commands.toFixed(2)} |`;
  }),
  '',
  '## Targets (this module on Fastify, same run)',
  '',
  "Measured on the medians, as benchmark.md does; each round's own ratio beside it.",
  '',
  '| target | measured (medians) | | each round |',
  '|---|---|---|---|',
  ...TARGETS.map(
    ([label, value, ok, rounds]) => `| ${label} | ${value.toFixed(2)} | ${check(ok)} | ${rounds} |`,
  ),
  '',
  '## This module on Fastify against this module on Express (same run)',
  '',
  '| | Fastify | Express | Fastify ÷ Express |',
  '|---|---|---|---|',
  `| this module, req/s | ${ours.rps.toFixed(0)} | ${of('this-bench').rps.toFixed(0)} | ${ratio(ours.rps, of('this-bench').rps)} |`,
  `| this module, p99 ms | ${ours.p99} | ${of('this-bench').p99} | ${ratio(ours.p99, of('this-bench').p99)} |`,
  `| secure floor, req/s | ${floor.rps.toFixed(0)} | ${of('secure-floor').rps.toFixed(0)} | ${ratio(floor.rps, of('secure-floor').rps)} |`,
  `| ceiling, req/s | ${of('fastify-ceiling').rps.toFixed(0)} | ${of('ceiling').rps.toFixed(0)} | ${ratio(of('fastify-ceiling').rps, of('ceiling').rps)} |`,
  `| this module × its platform's secure floor | ${ratio(ours.rps, floor.rps)} | ${ratio(of('this-bench').rps, of('secure-floor').rps)} | |`,
  `| this module × its platform's ceiling | ${ratio(ours.rps, of('fastify-ceiling').rps)} | ${ratio(of('this-bench').rps, of('ceiling').rps)} | |`,
  '',
  'Where a read goes on Fastify, by CPU profile: [fastify-profile.md](fastify-profile.md).',
  '',
].join('\n');
const profileReport = [
  `# Where a read goes on Fastify — CPU profile, ${new Date().toISOString()}`,
  '',
  ...context,
  '',
  `Each app below was started alone with V8's CPU profiler (the one \`node --cpu-prof\` runs; here started and stopped through \`node:inspector\` by SIGUSR2 so that it covers the load window only, not the app's start — see bench/apps/serve.ts), sampling every 200 µs, ` +
    `over ${PROFILE_SECONDS} s of the same load after a 3 s warm-up. Self time is grouped by where the code lives; µs / request divides by the requests answered in the window ` +
    '(the profiler slows the app a little, so these are a little above the unprofiled cost). The raw profiles are not kept.',
  '',
  '| profiled app | req/s while profiled | p99 ms | Redis commands / request |',
  '|---|---|---|---|',
  ...profiles.map(
    ({ result }, i) =>
      `| ${LABELS[i === 0 ? 'this-fastify' : 'fastify-secure-floor']} | ${result.rps.toFixed(0)} | ${result.p99} | ${result.commandsPerRequest.toFixed(2)} |`,
  ),
  '',
  ...profiles.map(({ summary: text }) => text),
].join('\n');
console.log(report);
console.log(profileReport);
writeFileSync(new URL('../../bench/results/fastify.md', import.meta.url), report);
writeFileSync(new URL('../../bench/results/fastify-profile.md', import.meta.url), profileReport);
