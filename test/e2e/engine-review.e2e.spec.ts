import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Redirect,
  Req,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import type { ServerResponse } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Public,
  Session,
  SessionEvents,
  SessionModule,
  SessionService,
  type RequestSession,
  type SessionEventMap,
  type SessionModuleOptions,
} from '../../lib/index.js';
import { CartProbeController } from '../support/cart-probe.controller.js';
import { PLATFORMS, startSessionApp } from '../support/session-test-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cookieOf = (res: request.Response) =>
  String((res.headers['set-cookie'] as unknown as string[])[0]).split(';')[0]!;

@Controller()
class ProbeController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login/:user')
  @HttpCode(200)
  async login(@Req() req: Request, @Param('user') user: string) {
    await this.sessions.login(req, user, { keep: ['cart'] });
  }

  // Lets a client write any key, as careless app code might.
  @Public()
  @Post('pref/:key/:value')
  @HttpCode(200)
  pref(
    @Session() session: RequestSession,
    @Param('key') key: string,
    @Param('value') value: string,
  ) {
    (session as unknown as Record<string, unknown>)[key] = { user: value };
  }

  // Session data that JSON cannot hold, as careless app code might store.
  @Public()
  @Post('bigint')
  @HttpCode(200)
  bigint(@Session() session: RequestSession) {
    (session as unknown as Record<string, unknown>).big = 10n;
  }

  // Shows one key of the session as the store gave it, as Passport's session strategy reads it.
  @Public()
  @Get('raw/:key')
  raw(@Session() session: RequestSession, @Param('key') key: string) {
    return { value: (session as unknown as Record<string, unknown>)[key] ?? null };
  }

  @Post('slow/:ms')
  @HttpCode(200)
  async slow(@Session() session: RequestSession, @Param('ms') ms: string) {
    await sleep(Number(ms));
    session.cart = [...(session.cart ?? []), 'late'];
  }

  @Public()
  @Post('logout-and-redirect')
  @Redirect('/', 302)
  logoutAndRedirect(@Req() req: Request) {
    (req.session as unknown as Record<string, unknown>).flash = 'bye';
    req.session.destroy(() => undefined); // not awaited, as express-session code often does
  }
}

describe.each(PLATFORMS)('the engine under the review findings (%s)', (platform) => {
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  const options: SessionModuleOptions = {
    cookie: { secure: false },
    globalGuard: true,
    idleTimeout: 1000,
    absoluteTimeout: 60_000,
  };

  beforeAll(async () => {
    ({ app, http } = await startSessionApp(
      options,
      [ProbeController, CartProbeController],
      platform,
    ));
  });
  afterAll(() => app?.close());

  it('does not let a request that outlives the tombstone of its revoked session write it back', async () => {
    const cookie = cookieOf(await http.post('/login/slowpoke').expect(200));
    const slow = http
      .post('/slow/2600')
      .set('Cookie', cookie)
      .then((res) => res);
    await sleep(100);
    await app.get(SessionService).revokeAll('slowpoke');
    // The tombstone lasts one idle window plus the grace (2 s here); the request ends after it.
    expect((await slow).status).toBe(401);
    await http.get('/me').set('Cookie', cookie).expect(401);
    expect(await app.get(SessionService).list('slowpoke')).toEqual([]);
  });

  it('never turns a Passport-looking key on a session that came with the request into a login', async () => {
    const cookie = cookieOf(await http.post('/cart/x').expect(200));
    await http.post('/pref/passport/admin').set('Cookie', cookie).expect(500);
    await http.get('/me').set('Cookie', cookie).expect(401);
    expect(await app.get(SessionService).list('admin')).toEqual([]);
  });

  it('stores no Passport login under a session ID that came with the request (fixation): Passport’s own req.user would trust it', async () => {
    // The attacker's ID, planted in the victim's browser, then a login that does not regenerate.
    const planted = cookieOf(await http.post('/cart/x').expect(200));
    const res = await http.post('/pref/passport/victim').set('Cookie', planted).expect(500);
    expect(res.body.message).toMatch(/regenerate/);
    await http.get('/raw/passport').set('Cookie', planted).expect(200, { value: null });
    await http
      .get('/raw/cart')
      .set('Cookie', planted)
      .expect(200, { value: ['x'] });
  });

  it('refuses it too when the planted session is due for renewal (the write would also renew it)', async () => {
    const planted = cookieOf(await http.post('/cart/x').expect(200));
    await sleep(150); // past renewalFraction (0.1) of the 1 s idle timeout, within the timeout
    const refused = await http.post('/pref/passport/victim').set('Cookie', planted);
    expect(refused.status).toBe(500);
    await http.get('/raw/passport').set('Cookie', planted).expect(200, { value: null });
  });

  it('answers 500, never hangs, when the session holds data JSON cannot store (a BigInt)', async () => {
    const res = await http.post('/bigint').expect(500);
    expect(res.body.message).toBe('The session could not be saved');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('commits after a logout the handler did not await: the redirect clears the cookie', async () => {
    const cookie = cookieOf(await http.post('/login/leaver').expect(200));
    const res = await http.post('/logout-and-redirect').set('Cookie', cookie).expect(302);
    expect(res.headers['set-cookie']).toEqual([expect.stringMatching(/^sid=;.*1970/)]);
    await http.get('/me').set('Cookie', cookie).expect(401);
  });

  it("reports a refused write-back as rejected: 'write-after-revoke'", async () => {
    const rejected: SessionEventMap['rejected'][] = [];
    const listener = (event: SessionEventMap['rejected']) => rejected.push(event);
    app.get(SessionEvents).on('rejected', listener);
    try {
      const cookie = cookieOf(await http.post('/login/racer').expect(200));
      const slow = http
        .post('/slow/300')
        .set('Cookie', cookie)
        .then((res) => res);
      await sleep(100);
      await http.post('/logout-and-redirect').set('Cookie', cookie).expect(302);
      expect((await slow).status).toBe(401);
      expect(rejected.map((e) => e.reason)).toContain('write-after-revoke');
    } finally {
      app.get(SessionEvents).off('rejected', listener);
    }
  });
});

describe.each(PLATFORMS)(
  'a login refused because its cookie cannot be delivered (%s)',
  (platform) => {
    let app: INestApplication;
    let http: ReturnType<typeof request>;

    beforeAll(async () => {
      ({ app, http } = await startSessionApp(
        { cookie: { secure: true } },
        [ProbeController, CartProbeController],
        platform,
        { trustProxy: 'loopback' },
      ));
    });
    afterAll(() => app?.close());

    it("leaves the visitor's session as it was", async () => {
      const https = { 'X-Forwarded-Proto': 'https' };
      const cookie = cookieOf(await http.post('/cart/book').set(https).expect(200));
      const res = await http.post('/login/u').set('Cookie', cookie).expect(500);
      expect(res.body.message).toMatch(/trust proxy/);
      expect(res.headers['set-cookie']).toBeUndefined();
      await http
        .get('/cart')
        .set(https)
        .set('Cookie', cookie)
        .expect(200, { items: ['book'] });
    });
  },
);

describe('with middleware in main.ts that sends the headers before end (compression does)', () => {
  let app: NestExpressApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    const { Module } = await import('@nestjs/common');
    @Module({
      imports: [SessionModule.forRoot({ cookie: { secure: false }, globalGuard: true })],
      controllers: [ProbeController, CartProbeController],
    })
    class AppModule {}
    app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: false });
    app.use((_req: Request, res: ServerResponse, next: () => void) => {
      // Called back with Reflect.apply on this very response, as compression does.
      // oxlint-disable-next-line typescript/unbound-method
      const end = res.end;
      res.end = function (this: ServerResponse, ...args: unknown[]) {
        if (!this.headersSent) this.writeHead(this.statusCode);
        return Reflect.apply(end, this, args) as ServerResponse;
      } as ServerResponse['end'];
      next();
    });
    await app.init();
    http = request(app.getHttpServer());
  });
  afterAll(() => app?.close());

  it('still sends the login cookie and the logout cookie', async () => {
    const res = await http.post('/login/zipped').expect(200);
    const cookie = cookieOf(res);
    await http.get('/me').set('Cookie', cookie).expect(200, { userId: 'zipped' });
    const out = await http.post('/logout-and-redirect').set('Cookie', cookie).expect(302);
    expect(out.headers['set-cookie']).toEqual([expect.stringMatching(/^sid=;.*1970/)]);
  });
});
