/**
 * The sample on one Redis next to the sample on a Redis Cluster (3 primaries with a replica
 * each), under the same authenticated `GET /auth/me` load as bench/run.ts, interleaved over
 * rounds with a NestJS app without sessions as the ceiling. Apps run on core 0; every Redis and
 * the load tool on core 1. Writes bench/results/cluster.md.
 *
 *   npm run bench:cluster    env: ROUNDS (3), DURATION (10 s), CONNECTIONS (32)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createClient, type RedisClientType } from 'redis';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { startRedisServer } from '../test/support/redis-server.js';
import {
  APP_CPU,
  CommandCounter,
  SIDE_CPU,
  interleaved,
  login,
  medians,
  startApp,
  stopApp,
} from './harness.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const sideCpu = SIDE_CPU === undefined ? undefined : Number(SIDE_CPU);

const single = await startRedisServer({ cpu: sideCpu });
const cluster = await startRedisCluster({ cpu: sideCpu });
const connect = async (url: string) =>
  (await createClient({ url }).connect()) as unknown as RedisClientType;
const singleAdmin = await connect(single.url);
const primaries = await Promise.all(
  (await cluster.primaryPorts()).map((port) => connect(`redis://127.0.0.1:${port}`)),
);

const common = {
  ...process.env,
  SESSION_SECRET: randomBytes(32).toString('hex'),
  SESSION_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
  NODE_ENV: 'development',
};
const setups = [
  {
    label: 'NestJS, no sessions (ceiling)',
    kind: 'ceiling' as const,
    env: common,
    commands: new CommandCounter([singleAdmin]),
  },
  {
    label: 'nestjs-secure-session sample, one Redis (`REDIS_URL`)',
    kind: 'this' as const,
    env: { ...common, REDIS_URL: single.url },
    commands: new CommandCounter([singleAdmin]),
  },
  {
    label: 'nestjs-secure-session sample, Redis Cluster (`REDIS_CLUSTER_NODES`)',
    kind: 'this' as const,
    env: { ...common, REDIS_CLUSTER_NODES: cluster.seeds },
    commands: new CommandCounter(primaries),
  },
];

const running = [];
for (const setup of setups) {
  const app = await startApp(setup.kind, setup.env);
  const cookie = setup.kind === 'ceiling' ? '' : await login(app);
  running.push({ ...setup, app, cookie });
}
const windows = await interleaved(running, ROUNDS, DURATION, CONNECTIONS);
await Promise.all(running.map((setup) => stopApp(setup.app)));
await Promise.all([singleAdmin, ...primaries].map((client) => client.close()));
await Promise.all([single.stop(), cluster.stop()]);

const summary = running.map((setup, i) => ({ label: setup.label, ...medians(windows[i]!) }));
const ceiling = summary[0]!;
const report = [
  `# Benchmark on a Redis Cluster — ${new Date().toISOString()}`,
  '',
  `${ROUNDS} interleaved rounds of ${DURATION} s (after 3 s warm-up), ${CONNECTIONS} connections, authenticated \`GET /auth/me\`; ` +
    `${APP_CPU ? 'apps on core 0; every Redis (1 + 6 cluster nodes) and autocannon on core 1' : 'one core: not pinned'}; ` +
    `Node ${process.version}; medians over rounds. The cluster has 3 primaries with a replica each; ` +
    'commands are counted on the primaries (replicas only replay writes).',
  '',
  '| app | req/s | × ceiling | p50 ms | p99 ms | p99 × ceiling | Redis commands / request |',
  '|---|---|---|---|---|---|---|',
  ...summary.map(
    (s) =>
      `| ${s.label} | ${s.rps.toFixed(0)} | ${(s.rps / ceiling.rps).toFixed(2)} | ${s.p50} | ${s.p99} | ${(s.p99 / ceiling.p99).toFixed(2)} | ${s.commands.toFixed(2)} |`,
  ),
  '',
].join('\n');
console.log(report);
writeFileSync(new URL('../../bench/results/cluster.md', import.meta.url), report);
