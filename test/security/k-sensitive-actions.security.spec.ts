import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
  UseGuards,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CsrfTokenException,
  CsrfTokenGuard,
  Public,
  RecentLogin,
  RecentLoginGuard,
  Session,
  SessionRequiredException,
  SessionService,
  type RequestSession,
  type SessionRequest,
} from '../../lib/index.js';
import { SESSION_STORE } from '../../lib/session.constants.js';
import type { SessionStore } from '../../lib/stores/session-store.interface.js';
import { PLATFORMS, startSessionApp } from '../support/session-test-app.js';

const SECRET = 'k-sensitive-actions-secret-32-bytes-long!';
const OLD_SECRET = 'k-sensitive-actions-old-secret-32-bytes!!';
const RECENT_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Controller()
class SensitiveController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login/:user')
  @HttpCode(204)
  login(@Req() req: SessionRequest, @Param('user') user: string) {
    return this.sessions.login(req, user, { keep: ['cart'] });
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  logout(@Req() req: SessionRequest) {
    return this.sessions.logout(req);
  }

  @Public()
  @Post('cart/:item')
  @HttpCode(204)
  async cart(@Session() session: RequestSession, @Param('item') item: string) {
    session.cart = [...(session.cart ?? []), item];
  }

  // The app has checked the password here.
  @Post('reauthenticate')
  @HttpCode(204)
  reauthenticate(@Req() req: SessionRequest) {
    return this.sessions.reauthenticate(req);
  }

  @Post('email')
  @RecentLogin(RECENT_MS)
  @HttpCode(200)
  changeEmail(@Session() session: RequestSession) {
    return { user: session.meta?.userId, cart: session.cart ?? [] };
  }

  @Public()
  @Get('info')
  async info(@Req() req: SessionRequest) {
    const info = this.sessions.info(req);
    const userId = (req as { session?: RequestSession }).session?.meta?.userId;
    return { info, sessions: userId ? await this.sessions.list(userId, req) : [] };
  }

  @Public()
  @Get('form')
  form(@Req() req: SessionRequest) {
    return { token: this.sessions.csrfToken(req) };
  }

  @Public()
  @Post('submit')
  @UseGuards(CsrfTokenGuard)
  @HttpCode(200)
  submit(@Body() body: Record<string, unknown> | undefined) {
    return { ok: true, item: body?.item ?? null };
  }
}

const cookieOf = (res: request.Response): string | undefined => {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  const value = header?.[0]?.split(';')[0];
  return value && !value.endsWith('=') ? value : undefined;
};

describe.each(PLATFORMS)('K. sensitive actions (%s)', (platform) => {
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let store: SessionStore;

  beforeAll(async () => {
    ({ app, http } = await startSessionApp(
      { secret: [SECRET, OLD_SECRET], cookie: { secure: 'auto' } },
      [SensitiveController],
      platform,
    ));
    store = app.get<SessionStore>(SESSION_STORE);
  });
  afterAll(() => app.close());

  async function loggedIn(user = 'ada', cookie?: string) {
    const req = http.post(`/login/${user}`);
    const res = await (cookie ? req.set('Cookie', cookie) : req).expect(204);
    return cookieOf(res)!;
  }

  describe('K1. re-authentication (ASVS 7.5.1, 7.2.4)', () => {
    it('refuses a sensitive action once the login is older than allowed, with a code to switch on', async () => {
      const cookie = await loggedIn();
      await http.post('/email').set('Cookie', cookie).expect(200);
      await sleep(RECENT_MS + 100);
      const refused = await http.post('/email').set('Cookie', cookie).expect(403);
      expect(refused.body).toMatchObject({ code: 'REAUTHENTICATION_REQUIRED', maxAge: RECENT_MS });
    });

    it('lets it through right after re-authentication, under a new ID, with the data kept; the old cookie is dead', async () => {
      const anonymous = cookieOf(await http.post('/cart/book').expect(204))!;
      const cookie = await loggedIn('grace', anonymous);
      await sleep(RECENT_MS + 100);
      await http.post('/email').set('Cookie', cookie).expect(403);
      const before = (await http.get('/info').set('Cookie', cookie)).body.info;

      const res = await http.post('/reauthenticate').set('Cookie', cookie).expect(204);
      const renewed = cookieOf(res)!;
      expect(renewed).toBeDefined();
      expect(renewed).not.toBe(cookie);
      const allowed = await http.post('/email').set('Cookie', renewed).expect(200);
      expect(allowed.body).toEqual({ user: 'grace', cart: ['book'] });
      // The pre-reauthentication ID is revoked: a replay of it is refused.
      await http.post('/email').set('Cookie', cookie).expect(401);
      await http.post('/reauthenticate').set('Cookie', cookie).expect(401);

      const after = (await http.get('/info').set('Cookie', renewed)).body;
      expect(after.info.createdAt).toBe(before.createdAt); // same absolute deadline
      expect(after.info.authenticatedAt).toBeGreaterThan(before.authenticatedAt);
      const current = after.sessions.find((s: { current: boolean }) => s.current);
      expect(current.authenticatedAt).toBe(after.info.authenticatedAt);
    });

    it('answers 401, not 403, without a logged-in session, and re-authenticates no anonymous one', async () => {
      const anonymous = cookieOf(await http.post('/cart/pen').expect(204))!;
      const statuses = [
        (await http.post('/email')).status,
        (await http.post('/email').set('Cookie', anonymous)).status,
        (await http.post('/reauthenticate').set('Cookie', anonymous)).status,
      ];
      expect(statuses).toEqual([401, 401, 401]);
    });

    it('refuses in a context it cannot read a session for, never lets it through', async () => {
      const guard = new RecentLoginGuard(new Reflector());
      const rpc = {
        getType: () => 'rpc',
        getHandler: () =>
          Object.getOwnPropertyDescriptor(SensitiveController.prototype, 'changeEmail')!
            .value as unknown,
        getClass: () => SensitiveController,
      } as unknown as ExecutionContext;
      await expect(guard.canActivate(rpc)).rejects.toBeInstanceOf(SessionRequiredException);
    });
  });

  describe('K2. CSRF tokens bound to the session', () => {
    it('gives an anonymous visitor a token and the cookie it is bound to, storing nothing', async () => {
      const writes = vi.spyOn(store, 'writeUnlessRevoked');
      try {
        const res = await http.get('/form').expect(200);
        const cookie = cookieOf(res)!;
        expect(cookie).toBeDefined();
        expect(writes).not.toHaveBeenCalled();
        await http
          .post('/submit')
          .set('Cookie', cookie)
          .type('form')
          .send({ item: 'x', _csrf: res.body.token })
          .expect(200, { ok: true, item: 'x' });
        // A later page keeps the same cookie: every token of the visitor stays good.
        const again = await http.get('/form').set('Cookie', cookie).expect(200);
        expect(cookieOf(again)).toBeUndefined();
        await http
          .post('/submit')
          .set('Cookie', cookie)
          .set('x-csrf-token', res.body.token)
          .expect(200);
        expect(writes).not.toHaveBeenCalled();
      } finally {
        writes.mockRestore();
      }
    });

    it('masks the token afresh on every response, and each verifies', async () => {
      const cookie = await loggedIn();
      const tokens = await Promise.all(
        [1, 2, 3].map(async () => (await http.get('/form').set('Cookie', cookie)).body.token),
      );
      expect(new Set(tokens).size).toBe(3);
      for (const token of tokens) {
        await http.post('/submit').set('Cookie', cookie).set('x-csrf-token', token).expect(200);
      }
    });

    it('refuses a state-changing request without a token, or with a wrong or tampered one (403)', async () => {
      const cookie = await loggedIn();
      const { token } = (await http.get('/form').set('Cookie', cookie)).body;
      const flipped = Buffer.from(token, 'base64url');
      flipped[40]! ^= 1;
      for (const bad of [undefined, '', 'x'.repeat(86), flipped.toString('base64url'), [token]]) {
        const res = await http
          .post('/submit')
          .set('Cookie', cookie)
          .send(bad === undefined ? {} : { _csrf: bad })
          .expect(403);
        expect(res.body.code).toBe(CsrfTokenException.code);
      }
    });

    it("refuses another session's token", async () => {
      const mine = await loggedIn('ada');
      const theirs = await loggedIn('mallory');
      const { token } = (await http.get('/form').set('Cookie', theirs)).body;
      const visitor = await http.get('/form');
      for (const foreign of [token, visitor.body.token]) {
        const res = await http.post('/submit').set('Cookie', mine).set('x-csrf-token', foreign);
        expect([res.status, res.body.code]).toEqual([403, CsrfTokenException.code]);
      }
    });

    it('refuses a token from before the login (the ID rotated), and a logged-out session’s', async () => {
      const page = await http.get('/form').expect(200);
      const anonymous = cookieOf(page)!;
      const cookie = await loggedIn('ada', anonymous);
      const submit = (token: string, withCookie = true) => {
        const req = http.post('/submit').set('x-csrf-token', token);
        return (withCookie ? req.set('Cookie', cookie) : req).then((res) => res.status);
      };
      expect(await submit(page.body.token)).toBe(403);

      const { token } = (await http.get('/form').set('Cookie', cookie)).body;
      expect(await submit(token)).toBe(200);
      await http.post('/logout').set('Cookie', cookie).expect(204);
      expect([await submit(token), await submit(token, false)]).toEqual([403, 403]);
    });

    it('keeps the tokens of open pages across a secret rotation', async () => {
      const { app: old, http: oldHttp } = await startSessionApp(
        { secret: OLD_SECRET, cookie: { secure: 'auto' } },
        [SensitiveController],
        platform,
      );
      try {
        const page = await oldHttp.get('/form').expect(200);
        // The rotated app signs with SECRET and still verifies with OLD_SECRET.
        const res = await http
          .post('/submit')
          .set('Cookie', cookieOf(page)!)
          .set('x-csrf-token', page.body.token);
        expect(res.status).toBe(200);
      } finally {
        await old.close();
      }
    });

    it('costs no store command', async () => {
      const cookie = await loggedIn();
      const { token } = (await http.get('/form').set('Cookie', cookie)).body;
      const calls = (['read', 'isRevoked', 'writeUnlessRevoked'] as const).map((m) =>
        vi.spyOn(store, m),
      );
      try {
        await http.post('/submit').set('Cookie', cookie).set('x-csrf-token', token).expect(200);
        expect(calls.map((spy) => spy.mock.calls.length)).toEqual([1, 0, 0]); // the session's load
      } finally {
        for (const spy of calls) spy.mockRestore();
      }
    });

    it('refuses a WebSocket message or any other context, never lets it through', () => {
      const guard = new CsrfTokenGuard(app.get(SessionService));
      const ws = {
        getType: () => 'ws',
        switchToWs: () => ({ getClient: () => ({ request: { headers: {}, method: 'GET' } }) }),
        getArgs: () => [{ request: { headers: {}, method: 'GET' } }],
      } as unknown as ExecutionContext;
      expect(() => guard.canActivate(ws)).toThrow(CsrfTokenException);
    });
  });
});
