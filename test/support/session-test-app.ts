import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { SessionModule, type SessionModuleOptions } from '../../lib/index.js';

/** A small app of the test's own controllers on SessionModule, initialised, with a client. */
export async function startSessionApp(
  options: SessionModuleOptions,
  controllers: Type<unknown>[],
): Promise<{ app: INestApplication; http: ReturnType<typeof request> }> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot(options)],
    controllers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, http: request(app.getHttpServer()) };
}
