/**
 * Starts one benchmark app and prints `READY <port>` on stdout. Run by bench/run.ts, pinned to
 * one core. Apps: ceiling | express-session (alone, in memory) | usual | nestjs-session |
 * secure-floor (the module's per-read work, hand-written) | express-session-floor (the same
 * work in an express-session store) | this (the sample) | this-bench (the module without the
 * sample's scrypt login, for filling Redis with many sessions quickly; without REDIS_URL, on the
 * in-memory store).
 *
 *   node dist-bench/bench/apps/serve.js <app>     env: REDIS_URL, SESSION_SECRET, SESSION_ENCRYPTION_KEYS
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import session from 'express-session';
import { createClient, type RedisClientType } from 'redis';
import { loadSampleConfig } from '../../sample/config/sample-config.js';
import { createSampleApp } from '../../sample/create-sample-app.js';
import {
  baselineSessionOptions,
  CeilingModule,
  ExpressSessionOnlyModule,
  NestjsSessionSetupModule,
  UsualSetupModule,
} from './baseline-apps.js';
import {
  ExpressSessionFloorModule,
  expressSessionFloorOptions,
} from './express-session-floor.module.js';
import { FloorStore } from './floor-store.js';
import { LoginBenchModule } from './login-bench.module.js';
import { SecureFloorModule } from './secure-floor.module.js';

const kind = process.argv[2];
const redisUrl = process.env.REDIS_URL!;
const secret = process.env.SESSION_SECRET!;
const encryptionKeys = process.env.SESSION_ENCRYPTION_KEYS?.split(',');

async function redisClient(): Promise<RedisClientType> {
  const client = createClient({ url: redisUrl }) as RedisClientType;
  await client.connect();
  return client;
}

const floorStore = async () => new FloorStore(await redisClient(), encryptionKeys![0]!, 'floor:');

async function create(): Promise<INestApplication> {
  const logger = ['error'] as ['error'];
  switch (kind) {
    case 'ceiling':
      return NestFactory.create(CeilingModule, { logger });
    case 'usual': {
      const client = await redisClient();
      const app = await NestFactory.create(UsualSetupModule.forRoot(client), { logger });
      app.use(session(baselineSessionOptions(client, secret)));
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
      return NestFactory.create(
        LoginBenchModule.forRoot({
          secret,
          cookie: { secure: false },
          ...(redisUrl ? { redis: { url: redisUrl } } : {}),
          encryptionKeys,
        }),
        { logger },
      );
    default:
      throw new Error(`unknown app '${kind}'`);
  }
}

const app = await create();
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };
console.log(`READY ${port}`);
