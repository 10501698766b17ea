import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { isPublicRoute } from '../decorators/public.decorator.js';
import { sessionContextOf } from '../engine/request-session-slot.js';
import { SessionRequiredException } from '../session.errors.js';
import { requestOf } from '../session-access.js';

/**
 * Answers 401 "Session expired" to a request whose session passed its idle timeout or absolute
 * lifetime (on a `@Public()` route the request goes on, anonymous). The timeouts themselves are
 * enforced by the session engine on every request with session handling, from the session's own
 * activity and creation stamps: the expired session is revoked, its cookie cleared, an `expired`
 * event emitted, and nothing new stored; a replay of the cookie is then refused as revoked.
 *
 * Sliding renewal is the engine's too: the activity stamp is rewritten only once
 * `renewalFraction` of the idle window has passed, so most read-only requests cost no write.
 * Registered globally by default (`globalInterceptor`); otherwise use
 * `@UseInterceptors(IdleTimeoutInterceptor)`.
 */
@Injectable()
export class IdleTimeoutInterceptor implements NestInterceptor {
  constructor(protected readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = requestOf(context);
    const expired = req && sessionContextOf(req)?.expired;
    if (expired && !this.isPublic(context)) {
      return throwError(() => new SessionRequiredException(`Session expired (${expired} timeout)`));
    }
    return next.handle();
  }

  protected isPublic(context: ExecutionContext): boolean {
    return isPublicRoute(this.reflector, context);
  }
}
