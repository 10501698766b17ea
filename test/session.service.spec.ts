import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
  type INestApplication,
} from '@nestjs/common';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Public, Session, SessionService, type RequestSession } from '../lib/index.js';
import { PLATFORMS, startSessionApp } from './support/session-test-app.js';

@Controller()
class AccountController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login/:user')
  @HttpCode(200)
  async login(@Req() req: Request, @Param('user') user: string) {
    await this.sessions.login(req, user, { keep: ['cart'], data: { role: 'member' } });
  }

  @Public()
  @Post('cart')
  @HttpCode(200)
  async add(
    @Session() session: RequestSession,
    @Req() req: Request,
    @Body() body: { item: string },
  ) {
    session.cart = [...(session.cart ?? []), body.item];
    session.secretToken = 'csrf-secret-of-the-old-session';
    await this.sessions.save(req);
  }

  @Post('elevate')
  @HttpCode(200)
  async elevate(@Req() req: Request) {
    await this.sessions.regenerate(req, { keep: ['cart'] });
    req.session.role = 'admin';
    await this.sessions.save(req);
  }

  @Get('me')
  me(@Session() session: RequestSession) {
    const { meta, cart, role, secretToken } = session;
    return { userId: meta?.userId, cart, role, secretToken };
  }
}

declare module '../lib/index.js' {
  interface SessionData {
    role: string;
    secretToken: string;
  }
}

describe.each(
  PLATFORMS.flatMap((platform) =>
    (['redis', 'memory'] as const).map((kind) => [kind, platform] as const),
  ),
)('SessionService on the %s store (%s)', (kind, platform) => {
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let sessions: SessionService;

  beforeAll(async () => {
    ({ app, http } = await startSessionApp(
      {
        cookie: { secure: false },
        globalGuard: true,
        maxSessionsPerUser: 3,
        redis:
          kind === 'redis'
            ? { url: inject('redisUrl'), prefix: `test-${randomUUID()}:` }
            : undefined,
      },
      [AccountController],
      platform,
    ));
    sessions = app.get(SessionService);
  });
  afterAll(() => app?.close());

  const cookieOf = (res: request.Response) => String(res.headers['set-cookie']).split(';')[0]!;

  it('logs in with only the kept keys and the given data, never the rest of the old session', async () => {
    const anonymous = cookieOf(await http.post('/cart').send({ item: 'book' }).expect(200));
    const user = cookieOf(await http.post('/login/u1').set('Cookie', anonymous).expect(200));
    const me = await http.get('/me').set('Cookie', user).expect(200);
    expect(me.body).toEqual({ userId: 'u1', cart: ['book'], role: 'member' });
  });

  it('regenerates on privilege change: new ID, still logged in, old ID dead, index follows', async () => {
    const before = cookieOf(await http.post('/login/u2').expect(200));
    const after = cookieOf(await http.post('/elevate').set('Cookie', before).expect(200));
    expect(after).not.toEqual(before);
    await http.get('/me').set('Cookie', before).expect(401);
    expect((await http.get('/me').set('Cookie', after).expect(200)).body).toMatchObject({
      userId: 'u2',
      role: 'admin',
    });
    const listed = await sessions.list('u2');
    expect(listed).toHaveLength(1);
  });

  it('revokes the oldest sessions beyond maxSessionsPerUser on login', async () => {
    const cookies: string[] = [];
    for (let i = 0; i < 5; i++) cookies.push(cookieOf(await http.post('/login/u3').expect(200)));
    const statuses = await Promise.all(
      cookies.map(async (c) => (await http.get('/me').set('Cookie', c)).status),
    );
    expect(statuses).toEqual([401, 401, 200, 200, 200]);
    expect(await sessions.list('u3')).toHaveLength(3);
  });

  it('refuses a user ID that is not a short string or number', async () => {
    for (const bad of ['', 'x'.repeat(257), { id: 1 }, null]) {
      await expect(sessions.list(bad as string)).rejects.toThrow(TypeError);
    }
    expect(await sessions.revoke('u1', 'not-a-handle')).toBe(false);
  });

  it('keeps at most maxSessionsPerUser sessions, the newest, when logins race each other', async () => {
    const cookies = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await http.post('/login/racer');
        return res.status === 200 ? cookieOf(res) : undefined;
      }),
    );
    const alive = [];
    for (const cookie of cookies.filter(Boolean)) {
      if ((await http.get('/me').set('Cookie', cookie!)).status === 200) alive.push(cookie);
    }
    expect(alive).toHaveLength(3);
    expect(await sessions.list('racer')).toHaveLength(3);
  });
});
