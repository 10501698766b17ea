import { randomBytes, randomUUID } from 'node:crypto';
import { Controller, Get, HttpCode, Param, Post, Redirect, Req } from '@nestjs/common';
import type { Request } from 'express';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Public, Session, SessionService, type RequestSession } from '../../lib/index.js';
import { issuedCookie, startPassportApp } from '../support/passport-app.js';
import { inspectRedis } from '../support/redis-inspect.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { PLATFORMS, startSessionApp } from '../support/session-test-app.js';

const COMMAND_TIMEOUT = 400;
const cookieOf = (res: request.Response) =>
  String((res.headers['set-cookie'] as unknown as string[])[0]).split(';')[0]!;

// The ways app code ends a session without waiting for it, then redirects at once.
const HOW = ['destroy', 'destroy-callback', 'logout'] as const;

@Controller()
class LeavingController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login/:user')
  @HttpCode(200)
  async login(@Req() req: Request, @Param('user') user: string): Promise<void> {
    await this.sessions.login(req, user);
  }

  @Get('me')
  me(@Session() session: RequestSession): { userId?: string } {
    return { userId: session.meta?.userId };
  }

  // Redirects at once, on either platform (Nest sends it as soon as the handler returns).
  @Public()
  @Post('leave/:how')
  @Redirect('/', 303)
  leave(@Req() req: Request, @Param('how') how: string): void {
    if (how === 'destroy') req.session.destroy();
    else if (how === 'destroy-callback') req.session.destroy(() => undefined);
    else void this.sessions.logout(req);
  }
}

// SECURITY.md E16: an unawaited logout (express-session code often redirects without waiting)
// is done before the response leaves, or the response says it failed; never a redirect that
// looks like a logout while the session lives on. On a Redis of the test's own, paused or stopped.
describe.each(PLATFORMS)('a logout the app does not await (%s)', (platform) => {
  let server: RedisServer;
  let app: Awaited<ReturnType<typeof startSessionApp>>['app'];
  let http: ReturnType<typeof request>;
  /** Another instance on the same Redis: its reads do not queue behind the first one's writes. */
  let other: Awaited<ReturnType<typeof startSessionApp>>;
  let redis: Awaited<ReturnType<typeof inspectRedis>>;

  beforeAll(async () => {
    // Persistent: a restart keeps the sessions, as a production Redis would.
    server = await startRedisServer({ persistent: true });
    const options = {
      cookie: { secure: false },
      globalGuard: true,
      secret: randomBytes(32).toString('base64url'),
      redis: { url: server.url, prefix: `test-${randomUUID()}:`, commandTimeout: COMMAND_TIMEOUT },
    };
    ({ app, http } = await startSessionApp(options, [LeavingController], platform));
    other = await startSessionApp(options, [LeavingController], platform);
    redis = await inspectRedis(server.url);
  });
  afterAll(async () => {
    await redis?.close();
    await Promise.all([app?.close(), other?.app.close()]);
    await server?.stop();
  });

  const login = async (user: string) => cookieOf(await http.post(`/login/${user}`).expect(200));
  // Writes (and scripts, which may write) wait; reads go on.
  const pauseWrites = (ms: number) =>
    redis.client.sendCommand(['CLIENT', 'PAUSE', String(ms), 'WRITE']);

  it.each(HOW)(
    'is done before the response arrives (%s): the old cookie is refused by the next request',
    async (how) => {
      const cookie = await login(`done-${how}`);
      await pauseWrites(COMMAND_TIMEOUT / 2);
      const res = await http.post(`/leave/${how}`).set('Cookie', cookie).expect(303);
      expect(res.headers['set-cookie']).toEqual([expect.stringMatching(/^sid=;.*1970/)]);
      await other.http.get('/me').set('Cookie', cookie).expect(401);
    },
  );

  it.each(HOW)(
    'answers 503 when the store does not answer the revocation in time (%s); a retry then signs out',
    async (how) => {
      const cookie = await login(`paused-${how}`);
      await pauseWrites(COMMAND_TIMEOUT * 3);
      try {
        const res = await http.post(`/leave/${how}`).set('Cookie', cookie);
        expect(res.status).toBe(503);
        expect(res.headers.location).toBeUndefined();
        expect(res.headers['set-cookie'] ?? []).not.toContainEqual(expect.stringMatching(/1970/));
      } finally {
        await redis.client.sendCommand(['CLIENT', 'UNPAUSE']);
      }
      // The timed-out command may still run once Redis answers again: the session may be gone.
      await http.post(`/leave/${how}`).set('Cookie', cookie).expect(303);
      await other.http.get('/me').set('Cookie', cookie).expect(401);
    },
  );

  it('answers 503 when the store is down as the logout arrives, and the session lives on', async () => {
    const cookies = await Promise.all(HOW.map((how) => login(`stopped-${how}`)));
    await redis.close();
    await server.stop();
    try {
      for (const [i, how] of HOW.entries()) {
        const res = await http.post(`/leave/${how}`).set('Cookie', cookies[i]!);
        expect(res.status, how).toBe(503);
        expect(res.headers.location).toBeUndefined();
      }
    } finally {
      await server.start();
      redis = await inspectRedis(server.url);
    }
    const deadline = Date.now() + 10_000;
    while ((await http.get('/me').set('Cookie', cookies[0]!)).status !== 200) {
      if (Date.now() > deadline) throw new Error('the store did not come back in time');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const [i, how] of HOW.entries()) {
      await http
        .get('/me')
        .set('Cookie', cookies[i]!)
        .expect(200, { userId: `stopped-${how}` });
    }
  });

  describe("through Passport's req.logout()", () => {
    let passportApps: Awaited<ReturnType<typeof startPassportApp>>[];

    beforeAll(async () => {
      const options = {
        wiring: 'main.ts' as const,
        secret: randomBytes(32).toString('base64url'),
        session: {
          redis: {
            url: server.url,
            prefix: `test-${randomUUID()}:`,
            commandTimeout: COMMAND_TIMEOUT,
          },
        },
      };
      passportApps = await Promise.all([startPassportApp(options), startPassportApp(options)]);
    });
    afterAll(() => Promise.all(passportApps.map((passportApp) => passportApp.close())));

    const passportLogin = async () => {
      const res = await passportApps[0]!.http
        .post('/login')
        .send({ username: 'alice', password: 'alice-password' })
        .expect(200);
      return issuedCookie(res)!;
    };

    it('is done before the response arrives', async () => {
      const cookie = await passportLogin();
      await pauseWrites(COMMAND_TIMEOUT / 2);
      const res = await passportApps[0]!.http.post('/logout-and-redirect').set('Cookie', cookie);
      expect(res.status).toBe(303);
      await passportApps[1]!.http.get('/profile').set('Cookie', cookie).expect(401);
    });

    it('answers 503 when the store does not answer the revocation in time', async () => {
      const cookie = await passportLogin();
      await pauseWrites(COMMAND_TIMEOUT * 3);
      try {
        const res = await passportApps[0]!.http.post('/logout-and-redirect').set('Cookie', cookie);
        expect(res.status).toBe(503);
        expect(res.headers.location).toBeUndefined();
      } finally {
        await redis.client.sendCommand(['CLIENT', 'UNPAUSE']);
      }
    });
  });
});
