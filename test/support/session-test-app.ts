import type { INestApplication, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { SessionModule, type SessionModuleOptions } from '../../lib/index.js';

/** The HTTP platforms the module runs on: a suite takes one as a parameter. */
export const PLATFORMS = ['express', 'fastify'] as const;
export type PlatformName = (typeof PLATFORMS)[number];

/** Platform settings the tests vary: `trustProxy` as Express's `trust proxy` / Fastify's `trustProxy`. */
export interface AppSettings {
  trustProxy?: string;
}

/** A Nest app on `platform`, created from a compiled module, initialised (Fastify: ready). */
export async function createApp(
  moduleRef: TestingModule,
  platform: PlatformName,
  { trustProxy }: AppSettings = {},
): Promise<INestApplication> {
  const app: INestApplication =
    platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(
          new FastifyAdapter({ trustProxy, routerOptions: { maxParamLength: 4096 } }),
          {
            logger: false,
          },
        )
      : moduleRef.createNestApplication({ logger: false });
  if (platform === 'express' && trustProxy !== undefined) {
    (app.getHttpAdapter().getInstance() as { set(k: string, v: string): void }).set(
      'trust proxy',
      trustProxy,
    );
  }
  await app.init();
  if (platform === 'fastify')
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}

/** A small app of the test's own controllers on SessionModule, initialised, with a client. */
export async function startSessionApp(
  options: SessionModuleOptions,
  controllers: Type<unknown>[],
  platform: PlatformName = 'express',
  settings: AppSettings = {},
): Promise<{ app: INestApplication; http: ReturnType<typeof request> }> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot(options)],
    controllers,
  }).compile();
  const app = await createApp(moduleRef, platform, settings);
  return { app, http: request(app.getHttpServer()) };
}
