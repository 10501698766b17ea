/**
 * Starts one benchmark app and prints `READY <port>` on stdout. Run by bench/run.ts, pinned to
 * one core. Apps: ceiling | express-session (alone, in memory) | usual | nestjs-session |
 * secure-floor (the module's per-read work, hand-written) | express-session-floor (the same
 * work in an express-session store) | this (the sample) | this-bench (the module without the
 * sample's scrypt login, for filling Redis with many sessions quickly; without REDIS_URL, on the
 * in-memory store). On Fastify (bench/fastify.ts): fastify-ceiling (the ceiling's module) |
 * fastify-secure-floor (the same per-read work in a Fastify hook) | fastify-session
 * (@fastify/session + connect-redis) | fastify-secure-session (stateless) | this-fastify (this-bench
 * on Fastify). On PostgreSQL (bench/postgres.ts): this-postgres (this-bench on PostgreSQL) |
 * connect-pg-simple (express-session + connect-pg-simple); both on DATABASE_URL with a pool of
 * PG_POOL_SIZE connections.
 *
 * With BENCH_CPU_PROFILE=<file>, SIGUSR2 starts V8's CPU profiler (what `node --cpu-prof` runs)
 * and prints `PROFILING`; the next SIGUSR2 writes the profile to the file and prints `PROFILED` —
 * so a profile covers a load window only, not the app's start.
 *
 *   node dist-bench/bench/apps/serve.js <app>     env: REDIS_URL, DATABASE_URL, PG_POOL_SIZE, SESSION_SECRET, SESSION_ENCRYPTION_KEYS, BENCH_CPU_PROFILE
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import fastifyCookie from '@fastify/cookie';
import fastifySecureSession from '@fastify/secure-session';
import fastifySession from '@fastify/session';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import type { SessionModuleOptions } from '../../lib/index.js';
import { loadSampleConfig } from '../../sample/config/sample-config.js';
import { createSampleApp } from '../../sample/create-sample-app.js';
import {
  baselineSessionOptions,
  CeilingModule,
  ExpressSessionOnlyModule,
  NestjsSessionSetupModule,
  UsualSetupModule,
} from './baseline-apps.js';
import { ConnectPgSimpleModule, connectPgSimpleOptions } from './connect-pg-simple.module.js';
import {
  ExpressSessionFloorModule,
  expressSessionFloorOptions,
} from './express-session-floor.module.js';
import { FastifySecureFloorModule, fastifyFloorHook } from './fastify-secure-floor.module.js';
import {
  FastifySecureSessionModule,
  fastifySecureSessionOptions,
} from './fastify-secure-session.module.js';
import { FastifySessionModule, fastifySessionOptions } from './fastify-session.module.js';
import { FloorStore } from './floor-store.js';
import { LoginBenchModule } from './login-bench.module.js';
import { SecureFloorModule } from './secure-floor.module.js';

const kind = process.argv[2];
const redisUrl = process.env.REDIS_URL!;
const secret = process.env.SESSION_SECRET!;
const encryptionKeys = process.env.SESSION_ENCRYPTION_KEYS?.split(',');
const databaseUrl = process.env.DATABASE_URL!;
const poolSize = Number(process.env.PG_POOL_SIZE ?? 10);

async function redisClient(): Promise<RedisClientType> {
  const client = createClient({ url: redisUrl }) as RedisClientType;
  await client.connect();
  return client;
}

const floorStore = async () => new FloorStore(await redisClient(), encryptionKeys![0]!, 'floor:');

const onFastify = (module: object) =>
  NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), {
    logger: ['error'],
  });

const benchModuleOptions = (store: Pick<SessionModuleOptions, 'redis' | 'postgres'>) =>
  LoginBenchModule.forRoot({ secret, cookie: { secure: false }, ...store, encryptionKeys });
// Without REDIS_URL, on the in-memory store.
const benchModule = () => benchModuleOptions(redisUrl ? { redis: { url: redisUrl } } : {});

async function create(): Promise<INestApplication> {
  const logger = ['error'] as ['error'];
  switch (kind) {
    case 'ceiling':
      return NestFactory.create(CeilingModule, { logger });
    case 'usual': {
      const client = await redisClient();
      const app = await NestFactory.create(UsualSetupModule.forRoot(client), { logger });
      app.use(session(baselineSessionOptions(new RedisStore({ client }), secret)));
      return app;
    }
    case 'express-session': {
      const app = await NestFactory.create(ExpressSessionOnlyModule, { logger });
      app.use(session({ secret, resave: false, saveUninitialized: false }));
      return app;
    }
    case 'nestjs-session':
      return NestFactory.create(NestjsSessionSetupModule.forRoot(await redisClient(), secret), {
        logger,
      });
    case 'secure-floor':
      return NestFactory.create(SecureFloorModule.forRoot(await floorStore(), secret), { logger });
    case 'express-session-floor': {
      const app = await NestFactory.create(ExpressSessionFloorModule, { logger });
      app.use(session(expressSessionFloorOptions(await floorStore(), secret)));
      return app;
    }
    case 'this':
      return createSampleApp(loadSampleConfig(process.env), { quiet: true });
    case 'this-bench':
      return NestFactory.create(benchModule(), { logger });
    case 'this-postgres':
      return NestFactory.create(benchModuleOptions({ postgres: { url: databaseUrl, poolSize } }), {
        logger,
      });
    case 'connect-pg-simple': {
      const app = await NestFactory.create(ConnectPgSimpleModule, { logger });
      const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
      app.use(session(connectPgSimpleOptions(pool, secret)));
      return app;
    }
    case 'fastify-ceiling':
      return onFastify(CeilingModule);
    case 'fastify-secure-floor': {
      const store = await floorStore();
      const app = await onFastify(FastifySecureFloorModule.forRoot(store, secret));
      app.getHttpAdapter().getInstance().addHook('onRequest', fastifyFloorHook(store, secret));
      return app;
    }
    case 'fastify-session': {
      const client = await redisClient();
      const app = await onFastify(FastifySessionModule.forRoot(client));
      await app.register(fastifyCookie);
      await app.register(fastifySession, fastifySessionOptions(client, secret));
      return app;
    }
    case 'fastify-secure-session': {
      const app = await onFastify(FastifySecureSessionModule);
      const key = Buffer.from(encryptionKeys![0]!, 'base64');
      await app.register(fastifySecureSession, fastifySecureSessionOptions(key));
      return app;
    }
    case 'this-fastify':
      return onFastify(benchModule());
    default:
      throw new Error(`unknown app '${kind}'`);
  }
}

function profileOnSignal(file: string): void {
  const inspector = new InspectorSession();
  inspector.connect();
  let running = false;
  const toggle = async () => {
    if (!running) {
      running = true;
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
      await inspector.post('Profiler.start');
      console.log('PROFILING');
    } else {
      const { profile } = await inspector.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      console.log('PROFILED');
    }
  };
  process.on('SIGUSR2', () => void toggle());
}

if (process.env.BENCH_CPU_PROFILE) profileOnSignal(process.env.BENCH_CPU_PROFILE);
const app = await create();
// Not Nest's default list of signals, which has SIGUSR2 in it.
app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };
console.log(`READY ${port}`);
