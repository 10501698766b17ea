import { Controller, Get, Injectable, Logger, Module, Req } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import { createClient } from 'redis';
import request from 'supertest';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import {
  Session,
  SessionModule,
  SessionOptionsError,
  SessionService,
  type RequestSession,
  type SessionModuleOptions,
  type SessionOptionsFactory,
} from '../lib/index.js';

import { SESSION_STORE } from '../lib/session.constants.js';
import type { GuardedSessionStore } from '../lib/stores/guarded-session.store.js';
import type { MemorySessionStore } from '../lib/stores/memory-session.store.js';

const SECRET = 'x7Gq2mV9pL4rT8wZ1cB6nH3kJ5dF0sAeYuIoPq';

@Controller()
class ProbeController {
  constructor(private readonly sessions: SessionService) {}

  @Get('visit')
  async visit(@Session() session: RequestSession, @Req() req: Request) {
    session.cart = [...(session.cart ?? []), 'visit'];
    await this.sessions.save(req);
    return { visits: session.cart.length, store: this.sessions.storeKind };
  }

  @Get('public')
  open(@Req() req: Request) {
    return { hasSession: Boolean(req.session?.id) };
  }
}

@Injectable()
class OptionsFromClass implements SessionOptionsFactory {
  createSessionOptions(): SessionModuleOptions {
    return { secret: SECRET, cookie: { secure: false } };
  }
}

@Module({ providers: [OptionsFromClass], exports: [OptionsFromClass] })
class OptionsModule {}

async function boot(sessionModule: ReturnType<typeof SessionModule.forRoot>) {
  const moduleRef = await Test.createTestingModule({
    imports: [sessionModule],
    controllers: [ProbeController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

async function visitsTwice(app: Awaited<ReturnType<typeof boot>>) {
  const first = await request(app.getHttpServer()).get('/visit').expect(200);
  const cookie = String(first.headers['set-cookie']).split(';')[0]!;
  const second = await request(app.getHttpServer()).get('/visit').set('Cookie', cookie).expect(200);
  return second.body as { visits: number; store: string };
}

describe('SessionModule', () => {
  let app: Awaited<ReturnType<typeof boot>> | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    vi.restoreAllMocks();
  });

  it('works from forRoot()', async () => {
    app = await boot(SessionModule.forRoot({ secret: SECRET, cookie: { secure: false } }));
    expect(await visitsTwice(app)).toEqual({ visits: 2, store: 'memory' });
  });

  it('works from forRootAsync({ useFactory, inject, imports })', async () => {
    app = await boot(
      SessionModule.forRootAsync({
        imports: [OptionsModule],
        inject: [OptionsFromClass],
        useFactory: async (factory: OptionsFromClass) => factory.createSessionOptions(),
      }),
    );
    expect(await visitsTwice(app)).toEqual({ visits: 2, store: 'memory' });
  });

  it('works from forRootAsync({ useClass })', async () => {
    app = await boot(SessionModule.forRootAsync({ useClass: OptionsFromClass }));
    expect(await visitsTwice(app)).toEqual({ visits: 2, store: 'memory' });
  });

  it('works from forRootAsync({ useExisting })', async () => {
    app = await boot(
      SessionModule.forRootAsync({ imports: [OptionsModule], useExisting: OptionsFromClass }),
    );
    expect(await visitsTwice(app)).toEqual({ visits: 2, store: 'memory' });
  });

  it('uses Redis from a URL and closes the client it created on shutdown', async () => {
    const redisUrl = inject('redisUrl');
    const admin = createClient({ url: redisUrl });
    await admin.connect();
    const clientsBefore = (await admin.clientList()).length;
    app = await boot(
      SessionModule.forRoot({
        secret: SECRET,
        cookie: { secure: false },
        redis: { url: redisUrl, prefix: 'test-url:' },
      }),
    );
    expect(await visitsTwice(app)).toEqual({ visits: 2, store: 'redis' });
    // Its client, and the connection that hears of sessions ended on other instances.
    expect((await admin.clientList()).length).toBe(clientsBefore + 2);
    await app.close();
    app = undefined;
    expect((await admin.clientList()).length).toBe(clientsBefore);
    await admin.close();
  });

  it('uses a node-redis client it is given and leaves it open on shutdown', async () => {
    const client = createClient({ url: inject('redisUrl') });
    await client.connect();
    app = await boot(
      SessionModule.forRoot({
        secret: SECRET,
        cookie: { secure: false },
        redis: { client, prefix: 'test-client:' },
      }),
    );
    expect(await visitsTwice(app)).toEqual({ visits: 2, store: 'redis' });
    await app.close();
    app = undefined;
    expect(client.isReady).toBe(true);
    await client.close();
  });

  it('registers SessionService globally with isGlobal', async () => {
    @Module({})
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forRoot({ secret: SECRET, isGlobal: true }), FeatureModule],
    }).compile();
    expect(moduleRef.select(FeatureModule).get(SessionService, { strict: false })).toBeInstanceOf(
      SessionService,
    );
    await moduleRef.close();
  });

  it('stops startup with one clear error for bad options', async () => {
    const start = Test.createTestingModule({
      imports: [SessionModule.forRoot({ cookie: { sameSite: 'sometimes' as 'lax' } })],
    }).compile();
    await expect(start).rejects.toThrow(SessionOptionsError);
    await expect(start).rejects.toThrow(
      /`cookie.sameSite` = 'sometimes': must be 'lax' or 'strict'/,
    );
  });

  it('gives excluded routes and routes outside forRoutes no session, and a clear 401 where one is used', async () => {
    app = await boot(
      SessionModule.forRoot({ secret: SECRET, cookie: { secure: false }, exclude: ['public'] }),
    );
    await request(app.getHttpServer()).get('/public').expect(200, { hasSession: false });
    await app.close();
    app = await boot(
      SessionModule.forRoot({ secret: SECRET, cookie: { secure: false }, forRoutes: ['public'] }),
    );
    await request(app.getHttpServer()).get('/public').expect(200, { hasSession: true });
    const unmounted = await request(app.getHttpServer()).get('/visit').expect(401);
    expect(unmounted.body.message).toMatch(/No session on this route/);
  });

  it('starts no session over plain HTTP with a Secure cookie, answers why, and says to set trust proxy', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    app = await boot(SessionModule.forRoot({ secret: SECRET }));
    const res = await request(app.getHttpServer())
      .get('/visit')
      .set('X-Forwarded-Proto', 'https')
      .expect(500);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body.message).toMatch(/trust proxy/);
    const store = app.get<GuardedSessionStore>(SESSION_STORE).store as MemorySessionStore;
    expect(store.size).toBe(0);
    const messages = warn.mock.calls.map(([m]) => String(m));
    expect(messages.filter((m) => m.includes('trust proxy'))).toHaveLength(1);
    expect(messages.find((m) => m.includes('trust proxy'))).toContain('X-Forwarded-Proto: https');
  });

  it('re-sends a persistent cookie (maxAge) with the full cookie policy when the session changes', async () => {
    app = await boot(
      SessionModule.forRoot({ secret: SECRET, cookie: { secure: 'auto', maxAge: 60_000 } }),
    );
    (app.getHttpAdapter().getInstance() as { set(k: string, v: string): void }).set(
      'trust proxy',
      'loopback',
    );
    const https = { 'X-Forwarded-Proto': 'https' };
    const first = await request(app.getHttpServer()).get('/visit').set(https).expect(200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    const second = await request(app.getHttpServer())
      .get('/visit')
      .set(https)
      .set('Cookie', cookie)
      .expect(200);
    const [resent] = second.headers['set-cookie'] as unknown as string[];
    expect(resent).toMatch(/^__Host-sid=/);
    for (const attribute of ['Path=/', 'Expires=', 'HttpOnly', 'Secure', 'SameSite=Lax']) {
      expect(resent).toContain(attribute);
    }
  });
});
