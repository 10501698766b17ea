import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { inspectHandshake } from '../engine/handshake-requests.js';
import type { SessionMetadata } from '../session-data.interface.js';
import { ReauthenticationRequiredException, SessionRequiredException } from '../session.errors.js';
import { isConnection, requireRequest, requireSession } from '../session-access.js';

/** @internal Metadata key set by `@RecentLogin()`: the largest age of the authentication, in ms. */
export const RECENT_LOGIN_MAX_AGE = 'SESSION:RECENT_LOGIN';

/**
 * What `@RecentLogin(maxAgeMs)` applies: lets a request through only when its session's user
 * proved who they are (a login, or `SessionService.reauthenticate()`) at most `maxAgeMs` ago.
 * Otherwise 403 `ReauthenticationRequiredException`; 401 without a logged-in session. A
 * WebSocket message or GraphQL subscription is judged by its session read from the store now.
 * Fails closed: in a context it cannot read a session for, 401.
 */
@Injectable()
export class RecentLoginGuard implements CanActivate {
  constructor(protected readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const maxAge = this.reflector.getAllAndOverride<number | undefined>(RECENT_LOGIN_MAX_AGE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const req = requireRequest(context);
    const meta = isConnection(context, req)
      ? await inspectHandshake(req)
      : requireSession(req)?.meta;
    if (!meta?.userId) throw new SessionRequiredException();
    if (maxAge === undefined) return true; // the guard alone, without @RecentLogin()
    if (Date.now() - authenticatedAt(meta) <= maxAge) return true;
    const refusal = new ReauthenticationRequiredException(maxAge);
    if (context.getType() === 'ws') throw await wsRefusal(refusal);
    throw refusal;
  }
}

function authenticatedAt(meta: SessionMetadata): number {
  return meta.authenticatedAt ?? meta.createdAt;
}

// A WebSocket client sees only a WsException's content; @nestjs/websockets is there when a
// gateway is, and is an optional peer of this package.
async function wsRefusal(refusal: ReauthenticationRequiredException): Promise<Error> {
  const { WsException } = await import('@nestjs/websockets');
  return new WsException(refusal.getResponse());
}
