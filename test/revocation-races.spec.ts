import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  type INestApplication,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { Public, Session, SessionService, type RequestSession } from '../lib/index.js';
import { PLATFORMS, startSessionApp } from './support/session-test-app.js';
import { SESSION_STORE } from '../lib/session.constants.js';
import type { GuardedSessionStore } from '../lib/stores/guarded-session.store.js';
import type { MemorySessionStore } from '../lib/stores/memory-session.store.js';
import type { SessionStore } from '../lib/stores/session-store.interface.js';
import { UserSessionIndex } from '../lib/user-session-index.js';
import { inspectRedis } from './support/redis-inspect.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = (test: request.Test): Promise<request.Response> => test.then((res) => res);
const SLOW_MS = 150;

@Controller()
class RaceController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login/:user')
  @HttpCode(200)
  async login(@Req() req: Request, @Param('user') user: string) {
    await this.sessions.login(req, user);
  }

  // A slow handler that changes the session and leaves the write to the end of the request:
  // the path that resurrects logged-out sessions in a naive setup.
  @Post('slow-write')
  @HttpCode(200)
  async slowWrite(@Session() session: RequestSession) {
    await sleep(SLOW_MS);
    session.cart = [...(session.cart ?? []), 'late'];
  }

  @Post('slow-save')
  @HttpCode(200)
  async slowSave(@Session() session: RequestSession, @Req() req: Request) {
    await sleep(SLOW_MS);
    session.cart = [...(session.cart ?? []), 'late'];
    await this.sessions.save(req);
  }

  // A privilege change that takes a while: the session may be revoked before it regenerates.
  @Post('slow-elevate')
  @HttpCode(200)
  async slowElevate(@Req() req: Request) {
    await sleep(SLOW_MS);
    await this.sessions.regenerate(req);
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    await this.sessions.logout(req, res);
  }

  @Get('me')
  me(@Session() session: RequestSession) {
    return { userId: session.meta?.userId };
  }
}

describe.each(
  PLATFORMS.flatMap((platform) =>
    (['redis', 'memory'] as const).map((kind) => [kind, platform] as const),
  ),
)('revocation races on the %s store (%s)', (kind, platform) => {
  const redisUrl = inject('redisUrl');
  const prefix = `test-${randomUUID()}:`;
  let app: INestApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    ({ app, http } = await startSessionApp(
      {
        cookie: { secure: false },
        globalGuard: true,
        redis: kind === 'redis' ? { url: redisUrl, prefix } : undefined,
      },
      [RaceController],
      platform,
    ));
  });
  afterAll(() => app?.close());

  const storedRecords = async (): Promise<string[]> => {
    if (kind === 'memory') {
      const size = (app.get<GuardedSessionStore>(SESSION_STORE).store as MemorySessionStore).size;
      return Array.from({ length: size }, (_, i) => `record ${i}`);
    }
    const redis = await inspectRedis(redisUrl);
    const keys = await redis.keys(`${prefix}s:`);
    await redis.close();
    return keys.filter((key) => !key.endsWith(':revoked'));
  };

  const loginAs = async (user: string) => {
    const res = await http.post(`/login/${user}`).expect(200);
    return String(res.headers['set-cookie']).split(';')[0]!;
  };

  it('never lets a request in flight during logout write the session back (expressjs/session#632)', async () => {
    for (let round = 0; round < 3; round++) {
      const cookie = await loginAs('racer');
      // supertest sends a request only when awaited: start them all now.
      const inFlight = [
        ...Array.from({ length: 5 }, () => started(http.post('/slow-write').set('Cookie', cookie))),
        ...Array.from({ length: 5 }, () => started(http.post('/slow-save').set('Cookie', cookie))),
      ];
      await sleep(SLOW_MS / 3);
      await http.post('/logout').set('Cookie', cookie).expect(204);
      const responses = await Promise.all(inFlight);
      // Explicit saves learn the session is gone; none succeeds after the logout.
      expect(responses.slice(5).map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
      expect(responses.every((r) => r.status < 500)).toBe(true);
      await http.get('/me').set('Cookie', cookie).expect(401);
      expect(await storedRecords()).toEqual([]);
    }
  });

  it('revokes the logins that complete while revokeAll runs, and revives no revoked session', async () => {
    const sessions = app.get(SessionService);
    const store = app.get<SessionStore>(SESSION_STORE);
    const before = [await loginAs('busy'), await loginAs('busy')];
    // Hold revokeAll between reading the index and updating it, and log in meanwhile.
    const revoke = store.revoke.bind(store);
    const spy = vi.spyOn(store, 'revoke').mockImplementation(async (handle, ttl) => {
      await sleep(100);
      return revoke(handle, ttl);
    });
    const revokeAll = sessions.revokeAll('busy');
    await sleep(20);
    const during = await Promise.all([loginAs('busy'), loginAs('busy'), loginAs('busy')]);
    expect(spy).toHaveBeenCalled();
    // Those logins answered before revokeAll resolved: they are revoked with the rest.
    expect(await revokeAll).toBe(5);
    spy.mockRestore();

    for (const cookie of [...before, ...during])
      await http.get('/me').set('Cookie', cookie).expect(401);
    expect(await sessions.list('busy')).toEqual([]);
    const after = await loginAs('busy');
    await http.get('/me').set('Cookie', after).expect(200, { userId: 'busy' });
    expect(await sessions.revokeAll('busy')).toBe(1);
  });

  it('does not let a regenerate in flight revive a session revoked meanwhile (new ID, old login)', async () => {
    const sessions = app.get(SessionService);
    const cookie = await loginAs('elevated');
    const elevate = started(http.post('/slow-elevate').set('Cookie', cookie));
    await sleep(SLOW_MS / 3);
    await sessions.revokeAll('elevated');
    const res = await elevate;
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await sessions.list('elevated')).toEqual([]);
    expect(await storedRecords()).toEqual([]);
  });

  it('revokes a login whose session revokeAll reaches between indexing and storing it', async () => {
    const sessions = app.get(SessionService);
    const index = app.get(UserSessionIndex);
    const add = index.add.bind(index);
    const spy = vi.spyOn(index, 'add').mockImplementation(async (handle, meta) => {
      const size = await add(handle, meta);
      await sessions.revokeAll('late');
      return size;
    });
    const res = await http.post('/login/late');
    spy.mockRestore();
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await sessions.list('late')).toEqual([]);
  });

  it('does not drop a login in progress from the index when the user lists sessions meanwhile', async () => {
    const sessions = app.get(SessionService);
    const index = app.get(UserSessionIndex);
    const add = index.add.bind(index);
    const spy = vi.spyOn(index, 'add').mockImplementation(async (handle, meta) => {
      const size = await add(handle, meta);
      // Indexed, not yet stored: another request lists (and prunes) the user's sessions now.
      await sessions.list('pending');
      return size;
    });
    const cookie = await loginAs('pending');
    spy.mockRestore();
    expect((await sessions.list('pending')).map((s) => s.id)).toHaveLength(1);
    expect(await sessions.revokeAll('pending')).toBe(1);
    await http.get('/me').set('Cookie', cookie).expect(401);
  });
});
