/**
 * Redis memory per logged-in session, with metadata, the per-user index and encryption on.
 * Starts its own redis-server, logs in N users over HTTP (one session each, a typical browser
 * User-Agent), and divides the growth of `used_memory` by N. Also reports the stored sizes.
 *
 *   npm run bench:bytes            (N=10000)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { createClient, RESP_TYPES } from 'redis';
import { startRedisServer } from '../test/support/redis-server.js';
import { LoginBenchModule } from './apps/login-bench.module.js';

const SESSIONS = Number(process.env.SESSIONS ?? 10_000);
const CONCURRENCY = 32;
const USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const redis = await startRedisServer();
const admin = createClient({ url: redis.url });
await admin.connect();
const app = await NestFactory.create(
  LoginBenchModule.forRoot({
    secret: randomBytes(32).toString('hex'),
    cookie: { secure: false },
    redis: { url: redis.url },
    encryptionKeys: [randomBytes(32).toString('base64')],
  }),
  { logger: ['error'] },
);
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };

const memory = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
const before = await memory();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < SESSIONS) {
      const id = String(next++);
      const res = await fetch(`http://127.0.0.1:${port}/login/${id}`, {
        method: 'POST',
        headers: { 'user-agent': USER_AGENT },
      });
      if (res.status !== 200) throw new Error(`login ${id}: ${res.status}`);
    }
  }),
);
const after = await memory();

const bytes = admin.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
const [recordKey] = await admin.keys('session:s:*');
const [indexKey] = await admin.keys('session:u:*');
const record = (await bytes.get(recordKey!)) as Buffer;
const rows = [
  [
    'Redis memory per session (used_memory growth / sessions)',
    ((after - before) / SESSIONS).toFixed(0),
  ],
  ['session record value (encrypted)', String(record.length)],
  ['MEMORY USAGE of one record key', String(await admin.memoryUsage(recordKey!))],
  ['MEMORY USAGE of one user index (1 session)', String(await admin.memoryUsage(indexKey!))],
  ['keys in Redis', String(await admin.dbSize())],
];
const table = [
  `# Bytes per session (${SESSIONS} logins, encryption on, ${new Date().toISOString()})`,
  '',
  '| measure | bytes |',
  '|---|---|',
  ...rows.map(([name, value]) => `| ${name} | ${value} |`),
  '',
].join('\n');
console.log(table);
// Compiled to dist-bench/bench/: results go to the source tree's bench/results/.
writeFileSync(new URL('../../bench/results/bytes-per-session.md', import.meta.url), table);

await app.close();
await admin.close();
await redis.stop();
