import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { IdleTimeoutInterceptor, SessionRequiredException } from '../../lib/index.js';
import { IS_PUBLIC_ROUTE } from '../../lib/decorators/public.decorator.js';
import { UnavailableSession } from '../../lib/engine/request-session.js';
import type { ExpiryReason } from '../../lib/lifetime/session-lifetime.js';

// The engine ends an expired session while loading it and records why on the request; the
// interceptor turns that into the answer. (Expiry itself is tested end to end in
// test/e2e/expiry.e2e.spec.ts, waiting past real timeouts.)
function setup(expired: ExpiryReason | undefined, isPublic = false) {
  // Only what the interceptor reads: why the engine ended the request's session, in the context
  // the request's session carries.
  const req = { session: new UnavailableSession(() => new Error(), { expired } as never) };
  const handler = function handler() {};
  if (isPublic) Reflect.defineMetadata(IS_PUBLIC_ROUTE, true, handler);
  const context = {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => class Controller {},
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  const interceptor = new IdleTimeoutInterceptor(new Reflector());
  const next: CallHandler = { handle: () => of('handled') };
  return () => lastValueFrom(interceptor.intercept(context, next));
}

describe('IdleTimeoutInterceptor', () => {
  it('answers 401 "Session expired" naming the timeout when the session expired', async () => {
    await expect(setup('idle')()).rejects.toBeInstanceOf(SessionRequiredException);
    await expect(setup('idle')()).rejects.toThrow('Session expired (idle timeout)');
    await expect(setup('absolute')()).rejects.toThrow('Session expired (absolute timeout)');
  });

  it('lets a @Public() route go on, anonymous, when the session expired', async () => {
    await expect(setup('idle', true)()).resolves.toBe('handled');
  });

  it('lets a live session through', async () => {
    await expect(setup(undefined)()).resolves.toBe('handled');
  });
});
