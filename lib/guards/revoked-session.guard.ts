import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isPublicRoute } from '../decorators/public.decorator.js';
import { passportLoggedOut } from '../engine/passport-login.js';
import { sessionContextOf } from '../engine/request-session-slot.js';
import { SessionRequiredException } from '../session.errors.js';
import { requireRequest, requireSession } from '../session-access.js';

/**
 * Lets a request through only with a logged-in session that is neither revoked nor logged out
 * nor expired. Revocation deletes a session in the store and leaves a tombstone (the denylist)
 * that every write checks, so the next request with that cookie — on any instance sharing the
 * store — finds no session and gets 401. Fails closed: when the store cannot be read, 503; in a
 * handler it cannot read a session for, 401; never through.
 *
 * Use it per route with `@UseGuards(RevokedSessionGuard)`, or on every route with the module's
 * `globalGuard: true` and `@Public()` on the open ones. Subclass it to add checks of your own.
 */
@Injectable()
export class RevokedSessionGuard implements CanActivate {
  constructor(protected readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.isPublic(context)) return true;
    const req = requireRequest(context);
    const session = requireSession(req);
    const expired = sessionContextOf(req)?.expired;
    if (expired) throw new SessionRequiredException(`Session expired (${expired} timeout)`);
    // Passport's own logout (or a user its deserializeUser no longer knows) ends the login too.
    if (!session?.meta?.userId || passportLoggedOut(session)) throw new SessionRequiredException();
    return true;
  }

  protected isPublic(context: ExecutionContext): boolean {
    return isPublicRoute(this.reflector, context);
  }
}
