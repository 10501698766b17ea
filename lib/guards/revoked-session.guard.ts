import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isPublicRoute } from '../decorators/public.decorator.js';
import type { IncomingMessage } from 'node:http';
import { inspectHandshake } from '../engine/handshake-requests.js';
import { passportLoggedOut } from '../engine/passport-login.js';
import { confirmSessionNotEnded } from '../engine/requests-in-flight.js';
import { showSnapshot } from '../engine/request-session-slot.js';
import { sessionContextOf } from '../engine/request-session-slot.js';
import { SessionRequiredException } from '../session.errors.js';
import { isConnection, requireRequest, requireSession } from '../session-access.js';

/**
 * Lets a request through only with a logged-in session that is neither revoked nor logged out
 * nor expired. Revocation deletes a session in the store and leaves a tombstone (the denylist)
 * that every write checks, so the next request with that cookie — on any instance sharing the
 * store — finds no session and gets 401. A request already in flight (its session loaded, its
 * body still arriving) is refused too when its session ends before the guard runs: every
 * instance hears of ended sessions, and a state-changing request (not GET, HEAD or OPTIONS) also
 * checks the tombstone in the store, one command, in case that announcement was lost. Fails
 * closed: when the store cannot be read, 503; in a handler it cannot read a session for, 401;
 * never through.
 *
 * Use it per route with `@UseGuards(RevokedSessionGuard)`, or on every route with the module's
 * `globalGuard: true` and `@Public()` on the open ones. Subclass it to add checks of your own.
 */
@Injectable()
export class RevokedSessionGuard implements CanActivate {
  constructor(protected readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.isPublic(context)) return true;
    const req = requireRequest(context);
    if (isConnection(context, req)) return this.checkConnection(context, req);
    const session = requireSession(req);
    const expired = sessionContextOf(req)?.expired;
    if (expired) throw new SessionRequiredException(`Session expired (${expired} timeout)`);
    // Passport's own logout (or a user its deserializeUser no longer knows) ends the login too.
    const userId = session?.meta?.userId;
    if (!userId || passportLoggedOut(session, userId)) throw new SessionRequiredException();
    return confirmSessionNotEnded(req)?.then(() => true) ?? true;
  }

  /**
   * A WebSocket message, or the start of a GraphQL subscription: the connection's session is read
   * from the store each time the guard runs (every guarded WebSocket message; once per
   * subscription, when it starts), so after a logout or revocation on any instance the next one
   * is refused. `@Session()` in the handler then sees it, read only. A refused WebSocket message
   * gets Nest's `Forbidden resource` error (also while the store is down: closed, never through).
   */
  protected async checkConnection(
    context: ExecutionContext,
    req: IncomingMessage,
  ): Promise<boolean> {
    const ws = context.getType() === 'ws';
    const snapshot = await inspectHandshake(req).catch((err: unknown) => {
      if (ws) return undefined; // Nest shows a ws client only WsException messages.
      throw err;
    });
    showSnapshot(req, snapshot);
    if (snapshot?.userId !== undefined && !passportLoggedOut(snapshot.data, snapshot.userId)) {
      return true;
    }
    if (ws) return false;
    throw new SessionRequiredException();
  }

  protected isPublic(context: ExecutionContext): boolean {
    return isPublicRoute(this.reflector, context);
  }
}
