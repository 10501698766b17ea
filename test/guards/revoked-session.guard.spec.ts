import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { RevokedSessionGuard, SessionRequiredException } from '../../lib/index.js';
import { IS_PUBLIC_ROUTE } from '../../lib/decorators/public.decorator.js';

// A handler in a context the guard reads no request from (a microservice, say).
function rpcContext(isPublic = false): ExecutionContext {
  const handler = function handler() {};
  if (isPublic) Reflect.defineMetadata(IS_PUBLIC_ROUTE, true, handler);
  return {
    getType: () => 'rpc',
    getHandler: () => handler,
    getClass: () => class Controller {},
    getArgs: () => [],
  } as unknown as ExecutionContext;
}

describe('RevokedSessionGuard', () => {
  const guard = new RevokedSessionGuard(new Reflector());

  it('refuses a handler in a context it cannot read a session from, instead of letting it through', () => {
    expect(() => guard.canActivate(rpcContext())).toThrow(SessionRequiredException);
  });

  it('lets a @Public() handler through in any context', () => {
    expect(guard.canActivate(rpcContext(true))).toBe(true);
  });

  it('refuses an HTTP request without session handling (an excluded route) with 401', () => {
    const context = {
      getType: () => 'http',
      getHandler: () => function handler() {},
      getClass: () => class Controller {},
      switchToHttp: () => ({ getRequest: () => ({}) }),
    } as unknown as ExecutionContext;
    expect(() => guard.canActivate(context)).toThrow(/No session on this route/);
  });
});
