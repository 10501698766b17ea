/**
 * One user with 10,000 sessions listed and revoked while another user keeps browsing (issue 17).
 * For each store (one Redis, then the in-memory store) it starts the module's bench app
 * (bench/apps/login-bench.module.ts: `maxSessionsPerUser` left to the module's default;
 * `GET /auth/sessions` is `list()`, `POST /auth/revoke-all` is `revokeAll()`), logs user `heavy`
 * in SESSIONS times and user `other` once, and loads `other`'s `GET /auth/me` with autocannon
 * three times: alone (the baseline), while `heavy`'s `list()` runs back to back, and while
 * `revokeAll()` runs once. Then every one of `heavy`'s cookies must get 401. The app runs on
 * core 0; Redis and autocannon on core 1.
 * Writes bench/results/user-sessions.md; exits 1 when an operation failed or a cookie survived.
 *
 *   npm run bench:user-sessions   env: SESSIONS (10000), DURATION (5 s), CONNECTIONS (8), STORES (redis,memory)
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startRedisServer } from '../test/support/redis-server.js';
import { ErrorLog } from './app-error-log.js';
import {
  APP_CPU,
  SIDE_CPU,
  login,
  median,
  pinned,
  startApp,
  statusesOf,
  stopApp,
  type RunningApp,
} from './harness.js';

const SESSIONS = Number(process.env.SESSIONS ?? 10_000);
const DURATION = Number(process.env.DURATION ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 8);
const STORES = (process.env.STORES ?? 'redis,memory').split(',') as ('redis' | 'memory')[];
const CONCURRENCY = 32;
const LOGIN_DEADLINE_MS = 120_000;
const OPERATION_TIMEOUT_MS = 60_000;
// list() back to back fills its window, within this many calls.
const MAX_LIST_CALLS = 200;
// The load settles this long before revokeAll() starts.
const LEAD_MS = 1000;

const run = promisify(execFile);

/** The other user's load over one window, as autocannon reports it, and the app's error log. */
interface Window {
  requests: number;
  p50: number;
  p99: number;
  max: number;
  /** Non-2xx answers and socket errors or timeouts. */
  failed: number;
  statuses: string;
  logged: string;
  /** How long the operation ran on after the load had ended, ms (0: within the window). */
  overrun: number;
}

/** Calls of one operation of the heavy user during a window. */
interface Calls {
  durations: number[];
  /** 0: no answer (a timeout or a network error). */
  statuses: number[];
  /** Sessions each 2xx `list()` returned. */
  listed: number[];
}

const newCalls = (): Calls => ({ durations: [], statuses: [], listed: [] });
const countsOf = (values: number[]) =>
  [...new Set(values)]
    .map((v) => `${v || 'no answer'} ×${values.filter((w) => w === v).length}`)
    .join(', ');

async function otherUsersLoad(app: RunningApp, cookie: string, log: ErrorLog): Promise<Window> {
  log.take();
  const command = pinned(SIDE_CPU, [
    process.execPath,
    'node_modules/autocannon/autocannon.js',
    '-j',
    ...['-c', String(CONNECTIONS), '-d', String(DURATION), '-H', `Cookie=${cookie}`],
    `${app.base}/auth/me`,
  ]);
  const { stdout } = await run(command[0]!, command.slice(1), {
    maxBuffer: 64 * 1024 * 1024,
    timeout: (DURATION + 30) * 1000,
  });
  const result = JSON.parse(stdout) as {
    requests: { total: number };
    latency: { p50: number; p99: number; max: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    statusCodeStats: Record<string, { count: number }>;
  };
  const statuses = Object.entries(result.statusCodeStats).map(([s, { count }]) => `${s} ×${count}`);
  if (result.errors + result.timeouts > 0)
    statuses.push(`no answer ×${result.errors + result.timeouts}`);
  return {
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    failed: result.non2xx + result.errors + result.timeouts,
    statuses: statuses.join(', '),
    logged: log.take(),
    overrun: 0,
  };
}

/** One call of the heavy user's operation, timed. */
async function timed(app: RunningApp, cookie: string, method: string, path: string, calls: Calls) {
  const started = performance.now();
  const res = await fetch(`${app.base}${path}`, {
    method,
    headers: { cookie },
    signal: AbortSignal.timeout(OPERATION_TIMEOUT_MS),
  }).catch(() => undefined);
  const body = await res?.text().catch(() => undefined);
  calls.durations.push(performance.now() - started);
  calls.statuses.push(body === undefined ? 0 : res!.status);
  if (method === 'GET' && res?.ok && body)
    calls.listed.push((JSON.parse(body) as unknown[]).length);
}

/** Runs `operation` during the other user's load; it may ask whether the load has ended. */
async function during(
  app: RunningApp,
  other: string,
  log: ErrorLog,
  operation: (ended: () => boolean) => Promise<void>,
): Promise<Window> {
  let endedAt: number | undefined;
  const window = otherUsersLoad(app, other, log).finally(() => (endedAt = performance.now()));
  await operation(() => endedAt !== undefined);
  const operationEndedAt = performance.now();
  const result = await window;
  return { ...result, overrun: Math.max(0, operationEndedAt - endedAt!) };
}

async function measure(store: 'redis' | 'memory') {
  const sideCpu = SIDE_CPU === undefined ? undefined : Number(SIDE_CPU);
  const redis = store === 'redis' ? await startRedisServer({ cpu: sideCpu }) : undefined;
  const env = {
    ...process.env,
    REDIS_URL: redis?.url ?? '', // none: the in-memory store
    SESSION_SECRET: randomBytes(32).toString('hex'),
    SESSION_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
    NODE_ENV: 'development',
  };
  const app = await startApp('this-bench', env, 'pipe').catch(async (error: unknown) => {
    await redis?.stop();
    throw error;
  });
  const log = new ErrorLog(app);
  try {
    const deadline = Date.now() + LOGIN_DEADLINE_MS;
    const started = performance.now();
    const heavy: string[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (heavy.length < SESSIONS) {
          if (Date.now() > deadline) throw new Error(`${store}: logins past the deadline`);
          const slot = heavy.push('') - 1; // claimed before the await: the count stays bounded
          heavy[slot] = await login(app, 'heavy');
        }
      }),
    );
    const loginSeconds = (performance.now() - started) / 1000;
    const other = await login(app, 'other');
    console.log(`${store}: ${SESSIONS} logins of one user in ${loginSeconds.toFixed(1)} s`);

    await otherUsersLoad(app, other, log); // warm-up
    const baseline = await otherUsersLoad(app, other, log);
    console.log(`${store}: baseline p99 ${baseline.p99} ms`);

    const list = newCalls();
    const listWindow = await during(app, other, log, async (ended) => {
      while (!ended() && list.durations.length < MAX_LIST_CALLS)
        await timed(app, heavy[0]!, 'GET', '/auth/sessions', list);
    });
    console.log(`${store}: list() ${countsOf(list.statuses)}; other p99 ${listWindow.p99} ms`);

    const revoke = newCalls();
    const revokeWindow = await during(app, other, log, async () => {
      await sleep(LEAD_MS);
      await timed(app, heavy[0]!, 'POST', '/auth/revoke-all', revoke);
    });
    console.log(`${store}: revokeAll() ${revoke.statuses[0]}; other p99 ${revokeWindow.p99} ms`);

    const after = await statusesOf(app, heavy);
    const [otherAfter] = await statusesOf(app, [other]);
    log.take();
    const windows = { baseline, listWindow, revokeWindow };
    return { store, loginSeconds, list, revoke, after, otherAfter, ...windows };
  } finally {
    await stopApp(app);
    await redis?.stop();
  }
}

const loadAverage = (loadavg()[0] ?? 0).toFixed(2);
const results = [];
for (const store of STORES) results.push(await measure(store));

const row = (label: string, calls: Calls | undefined, w: Window, baseline: Window) => {
  const ms = (value: number) => value.toFixed(0);
  const cells = calls
    ? [
        String(calls.durations.length),
        `${ms(median(calls.durations))} / ${ms(Math.max(...calls.durations))}`,
        countsOf(calls.statuses),
        [...new Set(calls.listed)].join(', '),
      ]
    : ['', '', '', ''];
  const ratio = (w.p99 / baseline.p99).toFixed(2);
  return `| ${label} | ${cells.join(' | ')} | ${w.p50} | ${w.p99} | **${ratio}** | ${w.max} | ${w.requests} | ${w.failed} (${w.statuses}) | ${w.logged} |`;
};
const failures: string[] = [];
const sections = results.flatMap((r) => {
  const survivors = r.after.filter((status) => status === 200).length;
  if (r.list.statuses.some((status) => status !== 200)) failures.push(`${r.store}: list() failed`);
  if (r.list.listed.some((n) => n !== SESSIONS)) failures.push(`${r.store}: list() miscounted`);
  if (r.revoke.statuses[0] !== 200) failures.push(`${r.store}: revokeAll() failed`);
  if (survivors > 0) failures.push(`${r.store}: ${survivors} sessions survived revokeAll()`);
  if (r.otherAfter !== 200)
    failures.push(`${r.store}: the other user's session got ${r.otherAfter}`);
  return [
    `## ${r.store === 'redis' ? 'Redis store (one node)' : 'In-memory store'}`,
    '',
    `${SESSIONS} logins of user \`heavy\` took ${r.loginSeconds.toFixed(1)} s (${CONCURRENCY} at a time).`,
    '',
    "| during | calls | duration ms (median / max) | answered | sessions listed | other user's p50 ms | p99 ms | p99 ÷ baseline p99 | max ms | requests | failed (by status) | errors the app logged |",
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    row('nothing (baseline)', undefined, r.baseline, r.baseline),
    row('`list()` back to back', r.list, r.listWindow, r.baseline),
    row('`revokeAll()` once', r.revoke, r.revokeWindow, r.baseline),
    '',
    ...(r.revokeWindow.overrun > 0
      ? [
          `\`revokeAll()\` outlasted its window by ${r.revokeWindow.overrun.toFixed(0)} ms: raise DURATION.`,
          '',
        ]
      : []),
    `After \`revokeAll()\`, \`GET /auth/me\` with each of the ${SESSIONS} cookies: ${countsOf(r.after)} ` +
      `(**${survivors} survivors**); with the other user's cookie: ${r.otherAfter}.`,
    '',
  ];
});
const report = [
  `# One user's ${SESSIONS} sessions listed and revoked, another user's latency meanwhile — ${new Date().toISOString()}`,
  '',
  `\`npm run bench:user-sessions\` (SESSIONS=${SESSIONS} DURATION=${DURATION} CONNECTIONS=${CONNECTIONS} STORES=${STORES.join(',')}); ` +
    `Node ${process.version}, ${availableParallelism()} cores (nproc), load average ${loadAverage} at the start; ` +
    `${APP_CPU ? 'the app on core 0, Redis and autocannon on core 1' : 'one core: not pinned'}. ` +
    `The app is bench/apps/login-bench.module.ts (\`maxSessionsPerUser\` left to the module's default). Each window is ` +
    `${DURATION} s of autocannon, ${CONNECTIONS} connections, on the other user's \`GET /auth/me\`; ` +
    `\`list()\` (\`GET /auth/sessions\`) runs back to back through its window, one call at a time; ` +
    `\`revokeAll()\` (\`POST /auth/revoke-all\`) runs once, ${LEAD_MS} ms into its window. ` +
    `Percentiles cover the whole window, and autocannon waits for each answer, so a stall of the ` +
    `app holds only ${CONNECTIONS} requests: it shows in max ms before p99. Compare p99 with the ` +
    `baseline of the same run (the ratio), not across runs.`,
  '',
  ...sections,
].join('\n');
console.log(report);
// Compiled to dist-bench/bench/: results go to the source tree's bench/results/.
writeFileSync(new URL('../../bench/results/user-sessions.md', import.meta.url), report);
if (failures.length > 0) {
  console.error(`FAILED: ${failures.join('; ')}`);
  process.exitCode = 1;
}
