import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Logger,
  Param,
  Post,
  Req,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import type { Request } from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Public,
  RevokedSessionGuard,
  Session,
  SessionModule,
  SessionOptionsError,
  SessionService,
  type RequestSession,
  type SessionModuleOptions,
} from '../../lib/index.js';
import { MemorySessionStore } from '../../lib/stores/memory-session.store.js';
import type { SessionStore } from '../../lib/stores/session-store.interface.js';
import { signedSessionCookie } from '../support/signed-cookie.js';
import { PLATFORMS, startSessionApp } from '../support/session-test-app.js';
import { Test } from '@nestjs/testing';

const SECRET = 'custom-store-secret-of-at-least-32-bytes!';

@Controller()
@UseGuards(RevokedSessionGuard)
class AccountController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login/:user')
  @HttpCode(204)
  login(@Req() req: Request, @Param('user') user: string) {
    return this.sessions.login(req, user);
  }

  @Get('sessions')
  async list(@Session() { meta }: RequestSession, @Req() req: Request) {
    return { sessions: await this.sessions.list(meta!.userId!, req) };
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  async revoke(@Session() { meta }: RequestSession, @Param('id') id: string) {
    await this.sessions.revoke(meta!.userId!, id);
  }

  @Delete('sessions')
  @HttpCode(204)
  async revokeAll(@Session() { meta }: RequestSession) {
    await this.sessions.revokeAll(meta!.userId!);
  }

  @Public()
  @Get('me')
  me(@Session() session: RequestSession | undefined) {
    return { user: session?.meta?.userId ?? null };
  }
}

/** A store of an app's own: the memory store, whose calls can be made to fail or hang. */
class FlakyStore extends MemorySessionStore {
  override readonly kind = 'flaky-db' as 'memory'; // a name of its own, on the memory store's code
  failing = new Set<string>();
  hanging = new Set<string>();
  closed = 0;

  constructor() {
    super();
    for (const method of ['read', 'indexPage', 'revoke', 'writeUnlessRevoked'] as const) {
      const own = this[method].bind(this) as (...args: unknown[]) => Promise<unknown>;
      (this as Record<string, unknown>)[method] = (...args: unknown[]) => {
        if (this.hanging.has(method)) return new Promise(() => undefined);
        if (this.failing.has(method)) {
          return Promise.reject(new Error(`connection reset (${method})`));
        }
        return own(...args);
      };
    }
  }

  override async close(): Promise<void> {
    this.closed++;
    await super.close();
  }
}

const options = (store: SessionStore, extra: SessionModuleOptions = {}): SessionModuleOptions => ({
  secret: SECRET,
  cookie: { secure: 'auto' },
  store,
  ...extra,
});

describe.each(PLATFORMS)('a store given as the `store` option, on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(store: SessionStore, extra?: SessionModuleOptions) {
    const started = await startSessionApp(options(store, extra), [AccountController], platform);
    app = started.app;
    return started.http;
  }

  async function loggedIn(http: Awaited<ReturnType<typeof start>>, user = 'ada') {
    const res = await http.post(`/login/${user}`).expect(204);
    return res.headers['set-cookie']![0]!.split(';')[0]!;
  }

  it('holds the sessions: login, list, revoke one, sign out everywhere', async () => {
    const store = new FlakyStore();
    const http = await start(store);
    const first = await loggedIn(http);
    const second = await loggedIn(http);
    const listed = await http.get('/sessions').set('Cookie', first).expect(200);
    expect(listed.body.sessions).toHaveLength(2);
    const other = listed.body.sessions.find((s: { current: boolean }) => !s.current);
    await http.delete(`/sessions/${other.id}`).set('Cookie', first).expect(204);
    await http.get('/sessions').set('Cookie', second).expect(401);
    await http.delete('/sessions').set('Cookie', first).expect(204);
    await http.get('/sessions').set('Cookie', first).expect(401);
  });

  it('answers 503, never a raw 500, when its database fails on list, revoke and revoke-all', async () => {
    const store = new FlakyStore();
    const http = await start(store);
    const cookie = await loggedIn(http);
    const listed = await http.get('/sessions').set('Cookie', cookie).expect(200);
    store.failing = new Set(['indexPage', 'revoke']);
    await http.get('/sessions').set('Cookie', cookie).expect(503);
    await http.delete(`/sessions/${listed.body.sessions[0].id}`).set('Cookie', cookie).expect(503);
    await http.delete('/sessions').set('Cookie', cookie).expect(503);
    store.failing = new Set(['read']);
    await http.get('/me').set('Cookie', cookie).expect(503);
    store.failing.clear();
    const me = await http.get('/me').set('Cookie', cookie).expect(200);
    expect(me.body.user).toBe('ada');
  });

  it('answers 503 within storeTimeout when its database does not answer, then recovers', async () => {
    const store = new FlakyStore();
    const http = await start(store, { storeTimeout: 200 });
    const cookie = await loggedIn(http);
    store.hanging = new Set(['read']);
    const started = Date.now();
    await http.get('/me').set('Cookie', cookie).expect(503);
    expect(Date.now() - started).toBeLessThan(1500);
    store.hanging.clear();
    await http.get('/me').set('Cookie', cookie).expect(200);
  });

  it('is closed when the app shuts down', async () => {
    const store = new FlakyStore();
    await start(store);
    await app!.close();
    app = undefined;
    expect(store.closed).toBe(1);
  });

  it("moves a session of the setup it replaces, from the store's legacySessions", async () => {
    const store = new FlakyStore();
    const legacy = new Map([
      ['legacy-id-1', JSON.stringify({ cookie: {}, user: { id: 'grace' } })],
    ]);
    Object.assign(store, {
      legacySessions: {
        read: async (id: string) => legacy.get(id) ?? null,
        remove: async (id: string) => void legacy.delete(id),
      },
    });
    const http = await start(store, {
      migration: { connectPgSimpleUserId: (s) => s.user?.id },
    });
    const cookie = signedSessionCookie('sid', 'legacy-id-1', SECRET);
    const me = await http.get('/me').set('Cookie', cookie).expect(200);
    expect(me.body.user).toBe('grace');
    expect(legacy.size).toBe(0);
  });
});

describe('the `store` option at startup', () => {
  const compile = (opts: SessionModuleOptions) =>
    Test.createTestingModule({ imports: [SessionModule.forRoot(opts)] }).compile();

  it('refuses an object that is not a SessionStore, naming what is missing', async () => {
    const error = await compile({ secret: SECRET, store: { kind: 'x' } as never }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SessionOptionsError);
    expect(String(error)).toMatch(/`store` = .*must implement SessionStore.*writeUnlessRevoked/s);
  });

  it('refuses two stores at once', async () => {
    const store = new MemorySessionStore();
    const error = await compile({
      secret: SECRET,
      store,
      redis: { url: 'redis://127.0.0.1:1' },
    }).catch((e: unknown) => e);
    await store.close();
    expect(String(error)).toMatch(/`store` and `redis` are both set: give one store/);
  });

  it('logs a failure under the store’s own name, once', async () => {
    const store = new FlakyStore();
    const { app, http } = await startSessionApp(options(store), [AccountController]);
    const errors = vi.spyOn(Logger.prototype, 'error');
    try {
      const cookie = (await http.post('/login/ada').expect(204)).headers['set-cookie']![0]!;
      store.failing = new Set(['read']);
      await http.get('/me').set('Cookie', cookie.split(';')[0]!).expect(503);
      const lines = errors.mock.calls.map(([message]) => String(message));
      expect(lines).toEqual(['Session store (flaky-db) failed: connection reset (read)']);
    } finally {
      errors.mockRestore();
      await app.close();
    }
  });
});
