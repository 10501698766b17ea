import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  IdleTimeoutInterceptor,
  SessionEvents,
  SessionRequiredException,
  type SessionEventMap,
  type SessionService,
} from '../../lib/index.js';
import { IS_PUBLIC_ROUTE } from '../../lib/decorators/public.decorator.js';
import { SessionLifetime } from '../../lib/lifetime/session-lifetime.js';

const IDLE = 60_000;
const ABSOLUTE = 600_000;

// A request whose session is still in the store (as with a store that does not expire entries),
// so only the interceptor's own check of the stamps stands between it and the handler.
function setup(
  meta: { createdAt: number; lastActivityAt: number; userId?: string },
  isPublic = false,
) {
  const events = new SessionEvents();
  const expired: SessionEventMap['expired'][] = [];
  events.on('expired', (e) => expired.push(e));
  const req = { sessionID: 'sid-under-test', session: { meta: { ...meta } } };
  const ended: unknown[] = [];
  const sessions = {
    endExpired: async (r: unknown) => void ended.push(r),
  } as unknown as SessionService;
  const handler = function handler() {};
  const reflector = new Reflector();
  if (isPublic) Reflect.defineMetadata(IS_PUBLIC_ROUTE, true, handler);
  const context = {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => class Controller {},
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  const interceptor = new IdleTimeoutInterceptor(
    reflector,
    new SessionLifetime(IDLE, ABSOLUTE, 0.1),
    sessions,
    events,
  );
  const next: CallHandler = { handle: () => of('handled') };
  return { run: () => lastValueFrom(interceptor.intercept(context, next)), req, expired, ended };
}

describe('IdleTimeoutInterceptor', () => {
  it('refuses a session idle past the timeout with 401, ends it and reports it', async () => {
    const now = Date.now();
    const { run, expired, ended } = setup({
      createdAt: now - IDLE * 2,
      lastActivityAt: now - IDLE - 1,
      userId: '7',
    });
    await expect(run()).rejects.toBeInstanceOf(SessionRequiredException);
    expect(ended).toHaveLength(1);
    expect(expired).toEqual([
      { handle: expect.not.stringContaining('sid-under-test'), userId: '7', reason: 'idle' },
    ]);
  });

  it('refuses a session past its absolute lifetime even if it was just active', async () => {
    const now = Date.now();
    const { run, expired } = setup({ createdAt: now - ABSOLUTE, lastActivityAt: now - 10 });
    await expect(run()).rejects.toThrow(/absolute/);
    expect(expired[0]!.reason).toBe('absolute');
  });

  it('lets a @Public() route go on with a fresh session instead of 401', async () => {
    const now = Date.now();
    const { run, ended } = setup(
      { createdAt: now - IDLE * 2, lastActivityAt: now - IDLE - 1 },
      true,
    );
    await expect(run()).resolves.toBe('handled');
    expect(ended).toHaveLength(1);
  });

  it('renews the activity stamp only once the renewal fraction of the idle window has passed', async () => {
    const now = Date.now();
    const recent = setup({ createdAt: now - 1000, lastActivityAt: now - IDLE * 0.1 + 500 });
    await recent.run();
    expect(recent.req.session.meta.lastActivityAt).toBe(now - IDLE * 0.1 + 500);

    const due = setup({ createdAt: now - 1000, lastActivityAt: now - IDLE * 0.1 - 1 });
    await due.run();
    expect(due.req.session.meta.lastActivityAt).toBeGreaterThanOrEqual(now);
  });
});
