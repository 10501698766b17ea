import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, switchMap, type Observable } from 'rxjs';
import { isPublicRoute } from '../decorators/public.decorator.js';
import { SessionEvents } from '../events/session-events.js';
import { SessionLifetime } from '../lifetime/session-lifetime.js';
import { sessionHandle } from '../session-handle.js';
import { SESSION_STORE_FAILURE } from '../session.constants.js';
import { SessionRequiredException } from '../session.errors.js';
import type { SessionRequest } from '../session-request.js';
import { SessionService } from '../session.service.js';

/**
 * Enforces the idle timeout and the absolute lifetime on the server, from the session's own
 * activity and creation stamps: a session past either is destroyed, and the request gets 401
 * (on a `@Public()` route it goes on with a fresh anonymous session). The store's TTL already
 * follows the same deadlines; this check holds even where it does not (a replayed cookie, a
 * store without expiry).
 *
 * Sliding renewal: the activity stamp is rewritten only once `renewalFraction` of the idle window
 * has passed, so most read-only requests cost no write. Registered globally by default
 * (`globalInterceptor`); otherwise use `@UseInterceptors(IdleTimeoutInterceptor)`.
 */
@Injectable()
export class IdleTimeoutInterceptor implements NestInterceptor {
  constructor(
    protected readonly reflector: Reflector,
    protected readonly lifetime: SessionLifetime,
    protected readonly sessions: SessionService,
    protected readonly events: SessionEvents,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<SessionRequest>();
    const meta = req[SESSION_STORE_FAILURE] === undefined ? req.session?.meta : undefined;
    if (!meta) return next.handle();

    const now = Date.now();
    const reason = this.lifetime.expiredBy(meta, now);
    if (reason) {
      this.events.emit('expired', {
        handle: sessionHandle(req.sessionID),
        userId: meta.userId,
        reason,
      });
      return from(this.sessions.endExpired(req)).pipe(
        switchMap(() => {
          if (this.isPublic(context)) return next.handle();
          throw new SessionRequiredException(`Session expired (${reason} timeout)`);
        }),
      );
    }
    if (this.lifetime.renewalDue(meta, now)) meta.lastActivityAt = now;
    return next.handle();
  }

  protected isPublic(context: ExecutionContext): boolean {
    return isPublicRoute(this.reflector, context);
  }
}
