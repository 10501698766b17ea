/**
 * bench/results/postgres.md from what bench/postgres.ts measured: the figures, the targets of
 * issue 19 checked against them, and how each figure was counted.
 */
import { summariseProfile, MODULE } from './cpu-profile.js';
import { median, medians, type LoadResult } from './harness.js';
import type { TableSize, TableWrites } from './postgres-probe.js';
import type { ProfiledWindow } from './profiled-load.js';

/** The apps of the load, in the order of their rounds. */
export const APPS = ['this-postgres', 'connect-pg-simple', 'this-bench', 'ceiling'] as const;
export type App = (typeof APPS)[number];
export type PostgresApp = 'this-postgres' | 'connect-pg-simple';
const LABELS: Record<App, string> = {
  'this-postgres':
    'nestjs-secure-session on PostgreSQL (the bench app: guard, timeouts, encryption)',
  'connect-pg-simple': 'express-session + connect-pg-simple 10, rolling (touch per read)',
  'this-bench': 'nestjs-secure-session on Redis (the same bench app)',
  ceiling: 'NestJS, no sessions (ceiling)',
};

/**
 * What a store runs on its own timer, not for a request: the module's sweeper and its LISTEN
 * connection's heartbeat, connect-pg-simple's prune. Shown apart from the statements per request.
 */
export const BACKGROUND =
  /pg_try_advisory_xact_lock|^SELECT 1$|^DELETE FROM "session" WHERE expire < /;
/** The module's table of session records, under its default schema and table prefix. */
const RECORDS_TABLE = 'public.secure_session_sessions';

/** What one app ran on PostgreSQL over one phase (logins, or reads). */
export interface Phase {
  statements: string[];
  writingTransactions: number;
  rows: Map<string, TableWrites>;
}

export interface StoreCost {
  logins: Phase;
  reads: Phase;
  sizesBefore: TableSize[];
  sizesAfter: TableSize[];
}

/** One call of `list()` or `revokeAll()`. */
export interface Answer {
  ms: number;
  status: number;
  /** Sessions listed, or revoked. */
  count: number;
}

export interface UserSessions {
  loginSeconds: number;
  lists: Answer[];
  revoked: Answer;
  survivors: number;
  otherAfter: number | undefined;
  /** Statements, or Redis commands, of one call of each. */
  listCalls: number;
  revokeAllCalls: number;
}

export interface PostgresBenchResults {
  settings: Record<
    'ROUNDS' | 'DURATION' | 'CONNECTIONS' | 'SESSIONS' | 'READS' | 'USER_SESSIONS' | 'POOL_SIZE',
    number
  >;
  context: string;
  /** Each app's load windows, in the order of APPS. */
  windows: LoadResult[][];
  costs: Record<PostgresApp, StoreCost>;
  /** The module's cost without encryption. */
  plain: StoreCost;
  users: { postgres: UserSessions; redis: UserSessions };
  profiles: { kind: App; window: ProfiledWindow }[];
  failures: string[];
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);
const check = (ok: boolean) => (ok ? 'met' : '**not met**');
const forRequests = (phase: Phase) => phase.statements.filter((sql) => !BACKGROUND.test(sql));

export function postgresReport(r: PostgresBenchResults): string {
  const { ROUNDS, DURATION, CONNECTIONS, SESSIONS, READS, USER_SESSIONS, POOL_SIZE } = r.settings;
  const summary = new Map(APPS.map((kind, i) => [kind, medians(r.windows[i]!)]));
  const of = (kind: App) => summary.get(kind)!;
  const [ours, baseline] = [of('this-postgres'), of('connect-pg-simple')];
  const perOp = (kind: PostgresApp) => ({
    login: {
      statements: forRequests(r.costs[kind].logins).length / SESSIONS,
      writing: r.costs[kind].logins.writingTransactions / SESSIONS,
    },
    read: {
      statements: forRequests(r.costs[kind].reads).length / READS,
      writing: r.costs[kind].reads.writingTransactions / READS,
    },
  });
  const pg = perOp('this-postgres');
  const records = r.costs['this-postgres'].logins.rows.get(RECORDS_TABLE);
  const recordWrites = ((records?.inserted ?? 0) + (records?.updated ?? 0)) / SESSIONS;
  const perRound = r.windows[0]!.map((w, i) => ratio(w.rps, r.windows[1]![i]!.rps)).join(', ');
  const targets: [string, string, boolean, string][] = [
    [
      "≥ 1.3 × connect-pg-simple's requests/s",
      ratio(ours.rps, baseline.rps),
      ours.rps / baseline.rps >= 1.3,
      perRound,
    ],
    [
      'at most 1 statement per authenticated read (reads started together share one)',
      pg.read.statements.toFixed(2),
      pg.read.statements < 1.005,
      '',
    ],
    [
      '1 write per login: session records written (rows inserted or updated in the records table, as run.ts counts record SETs on Redis)',
      recordWrites.toFixed(2),
      Math.abs(recordWrites - 1) < 0.005,
      '',
    ],
    [
      '1 write per login: transactions that wrote (each statement is its own transaction)',
      pg.login.writing.toFixed(2),
      Math.abs(pg.login.writing - 1) < 0.005,
      '',
    ],
    [
      '0 sessions left after `revokeAll()`',
      String(r.users.postgres.survivors),
      r.users.postgres.survivors === 0,
      '',
    ],
  ];
  const callsPerRead = (kind: App) =>
    kind === 'ceiling'
      ? '0'
      : kind === 'this-bench'
        ? `${of(kind).commands.toFixed(2)} Redis commands`
        : `${perOp(kind).read.statements.toFixed(2)} statements (counted below)`;
  return [
    `# This module on PostgreSQL — ${new Date().toISOString()}`,
    '',
    r.context,
    '',
    `Command: \`npm run bench:postgres\` (ROUNDS=${ROUNDS} DURATION=${DURATION} CONNECTIONS=${CONNECTIONS} SESSIONS=${SESSIONS} READS=${READS} USER_SESSIONS=${USER_SESSIONS} POOL_SIZE=${POOL_SIZE}). ` +
      `Each app on PostgreSQL has a database of its own on the same server and a pool of ${POOL_SIZE} connections (the module's \`postgres: { url, poolSize }\`; a \`pg.Pool\` of that \`max\` as connect-pg-simple's \`pool\`).`,
    '',
    '## Authenticated reads',
    '',
    `${ROUNDS} interleaved rounds of ${DURATION} s (after 3 s warm-up), ${CONNECTIONS} connections, authenticated \`GET /auth/me\`; medians over rounds. ` +
      "The module's app is bench/apps/login-bench.module.ts (global guard, idle and absolute timeouts, encryption at rest), the same on both stores. " +
      "connect-pg-simple runs with express-session's `rolling: true`, `saveUninitialized: false`, `resave: false` and its `createTableIfMissing: true`, " +
      'a guard that wants a user, no denylist and no activity interceptor (bench/apps/connect-pg-simple.module.ts): its cheapest usual form.',
    '',
    '| app | req/s | × connect-pg-simple | × ceiling | p50 ms | p99 ms | p99 × connect-pg-simple | store calls / read |',
    '|---|---|---|---|---|---|---|---|',
    ...APPS.map((kind) => {
      const s = of(kind);
      return `| ${LABELS[kind]} | ${s.rps.toFixed(0)} | ${ratio(s.rps, baseline.rps)} | ${ratio(s.rps, of('ceiling').rps)} | ${s.p50} | ${s.p99} | ${ratio(s.p99, baseline.p99)} | ${callsPerRead(kind)} |`;
    }),
    '',
    '## Targets (this module on PostgreSQL, same run)',
    '',
    "Requests/s on the medians, each round's own ratio beside it.",
    '',
    '| target | measured | | each round |',
    '|---|---|---|---|',
    ...targets.map(
      ([label, value, ok, rounds]) => `| ${label} | ${value} | ${check(ok)} | ${rounds} |`,
    ),
    '',
    ...(r.failures.length > 0 ? [`**Failed checks:** ${r.failures.join('; ')}.`, ''] : []),
    '## Statements per login and per read',
    '',
    `Each app alone on a fresh database: ${SESSIONS} logins (\`POST /login/:id\`, distinct users, each from a fresh client, 32 at a time) after one warm-up login and read, then ${READS} reads of one of those sessions. ` +
      "Counted by PostgreSQL: **statements** are the lines its log writes with `log_statement = 'all'` (one per statement a client sends, simple or extended protocol; on for these two phases only, the bench's own connection left out); " +
      '**transactions that wrote** are the transaction IDs PostgreSQL gave meanwhile (it gives one to a transaction at its first write, none to a read-only one; autovacuum paused while counting); ' +
      '**rows written** are `pg_stat_user_tables` deltas (`n_tup_ins`, `n_tup_upd`, `n_tup_del`), read once the backends had flushed their counters.',
    '',
    '| app | statements / login | transactions that wrote / login | rows written / login | statements / read | transactions that wrote / read | rows written / read |',
    '|---|---|---|---|---|---|---|',
    ...(['this-postgres', 'connect-pg-simple'] as const).map((kind) => {
      const [{ login, read }, cost] = [perOp(kind), r.costs[kind]];
      return `| ${LABELS[kind]} | ${login.statements.toFixed(2)} | ${login.writing.toFixed(2)} | ${rowsText(cost.logins.rows, SESSIONS)} | ${read.statements.toFixed(2)} | ${read.writing.toFixed(2)} | ${rowsText(cost.reads.rows, READS)} |`;
    }),
    '',
    ...(['this-postgres', 'connect-pg-simple'] as const).flatMap((kind) => [
      `${LABELS[kind]}, each statement:`,
      '',
      '| statement (as logged) | per login | per read |',
      '|---|---|---|',
      ...statementRows(r.costs[kind], SESSIONS, READS),
      '',
    ]),
    '## Bytes per session on disk',
    '',
    `The growth of every table of the app's database over the ${SESSIONS} logins above, divided by ${SESSIONS} (\`pg_relation_size\`, \`pg_indexes_size\`, \`pg_total_relation_size\`; ` +
      '"other" is TOAST and the free space and visibility maps); rows as counted after them. Both apps keep the same user; the module keeps its metadata ' +
      '(creation and activity stamps, IP, User-Agent) and the per-user index besides. Redis memory per session is in bytes-per-session.md.',
    '',
    '| app | table | rows | heap B / session | indexes B / session | other B / session | total B / session |',
    '|---|---|---|---|---|---|---|',
    ...bytesRows('this module, encrypted', r.costs['this-postgres'], SESSIONS),
    ...bytesRows('this module, no `encryptionKeys`', r.plain, SESSIONS),
    ...bytesRows('connect-pg-simple', r.costs['connect-pg-simple'], SESSIONS),
    '',
    `## \`list()\` and \`revokeAll()\` over ${USER_SESSIONS} sessions of one user`,
    '',
    `The module's bench app on each store: ${USER_SESSIONS} logins of one user (32 at a time) and one of another; \`list()\` (\`GET /auth/sessions\`) 5 times, then \`revokeAll()\` (\`POST /auth/revoke-all\`) once, ` +
      `then \`GET /auth/me\` with each of the ${USER_SESSIONS} cookies (survivors: any answer but 401) and with the other user's cookie. ` +
      "Timed with PostgreSQL's statement log off; its statements counted on a second user's sessions, listed and revoked the same way with the log on (the sweeper's left out). Redis commands counted as run.ts does.",
    '',
    '| store | logins s | `list()` ms (median / max) | store calls per `list()` | `revokeAll()` ms | revoked | store calls per `revokeAll()` | survivors | other user after |',
    '|---|---|---|---|---|---|---|---|---|',
    userRow('PostgreSQL', r.users.postgres, 'statements'),
    userRow('Redis', r.users.redis, 'commands'),
    '',
    '## Where a read goes',
    '',
    "Each app alone under the same load for one more window, with V8's CPU profiler on for that window only (profiled-load.ts; the profiler slows the app a little), " +
      "and what each core and PostgreSQL's processes spent meanwhile, from /proc. Core 0 runs the app; core 1 PostgreSQL, Redis and autocannon.",
    '',
    '| app | req/s while profiled | p99 ms | core 0 busy | core 1 busy | app process CPU µs / request | PostgreSQL processes CPU µs / request | app read / write system calls per request | app context switches per request |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.profiles.map(({ kind, window: w }) => {
      const busy = (core: number) => `${((w.coresBusy[core] ?? 0) * 100).toFixed(0)} %`;
      const { reads, writes, switches } = w.appCalls;
      return `| ${LABELS[kind]} | ${w.result.rps.toFixed(0)} | ${w.result.p99} | ${busy(0)} | ${busy(1)} | ${w.appUs.toFixed(0)} | ${w.othersUs.toFixed(0)} | ${reads.toFixed(2)} / ${writes.toFixed(2)} | ${switches.toFixed(2)} |`;
    }),
    '',
    ...r.profiles.map(({ kind, window: w }) =>
      summariseProfile(LABELS[kind], w.profile, w.result.requests, MODULE, 15),
    ),
  ].join('\n');
}

const short = (sql: string) => `\`${sql.length > 110 ? `${sql.slice(0, 110)}…` : sql}\``;

function statementRows(cost: StoreCost, logins: number, reads: number): string[] {
  const counts = new Map<string, [number, number]>();
  for (const [phase, i] of [
    [cost.logins, 0],
    [cost.reads, 1],
  ] as const)
    for (const sql of phase.statements) {
      const entry = counts.get(sql) ?? [0, 0];
      entry[i]++;
      counts.set(sql, entry);
    }
  return [...counts].map(
    ([sql, [l, r]]) =>
      `| ${short(sql)}${BACKGROUND.test(sql) ? ' (background: not per request)' : ''} | ${(l / logins).toFixed(2)} | ${(r / reads).toFixed(2)} |`,
  );
}

function rowsText(rows: Map<string, TableWrites>, n: number): string {
  const tables = [...rows].map(([table, w]) => {
    const parts = (['inserted', 'updated', 'deleted'] as const)
      .filter((k) => w[k] > 0)
      .map((k) => `${(w[k] / n).toFixed(2)} ${k}`);
    return `\`${table}\`: ${parts.join(', ')}`;
  });
  return tables.join('; ') || 'none';
}

function bytesRows(label: string, cost: StoreCost, sessions: number): string[] {
  const before = new Map(cost.sizesBefore.map((t) => [t.table, t]));
  const per = (after: TableSize, k: 'heap' | 'indexes' | 'other' | 'total') =>
    ((after[k] - (before.get(after.table)?.[k] ?? 0)) / sessions).toFixed(0);
  const total = (sizes: TableSize[]) => sizes.reduce((sum, t) => sum + t.total, 0);
  return [
    ...cost.sizesAfter.map(
      (t) =>
        `| ${label} | \`${t.table}\` | ${t.rows} | ${per(t, 'heap')} | ${per(t, 'indexes')} | ${per(t, 'other')} | ${per(t, 'total')} |`,
    ),
    `| ${label} | **all tables** | | | | | **${((total(cost.sizesAfter) - total(cost.sizesBefore)) / sessions).toFixed(0)}** |`,
  ];
}

function userRow(label: string, u: UserSessions, unit: string): string {
  const ms = u.lists.map((a) => a.ms);
  return `| ${label} | ${u.loginSeconds.toFixed(1)} | ${median(ms).toFixed(0)} / ${Math.max(...ms).toFixed(0)} | ${u.listCalls} ${unit} | ${u.revoked.ms.toFixed(0)} | ${u.revoked.count} | ${u.revokeAllCalls} ${unit} | **${u.survivors}** | ${u.otherAfter} |`;
}
