import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import { sessionOf } from './request-session-slot.js';
import type { SessionContext } from './session-context.js';
import type { SessionCookiePolicy } from './session-cookie.js';

/** @internal The session cookie on responses: issued, cleared, or taken back. */
export class ResponseCookies {
  private readonly logger = new Logger('SessionModule');

  constructor(private readonly policy: SessionCookiePolicy) {}

  /**
   * Puts the cookie the context calls for (the session's ID, or a cleared cookie) on the response
   * now, while its headers have not left: as soon as a write or a logout decides it, so that
   * middleware which sends the headers before `end` (compression) does not lose it.
   */
  send(req: IncomingMessage, context: SessionContext): void {
    const { policy } = this;
    const session = sessionOf(req);
    const value =
      context.cookie === 'clear'
        ? policy.clear(context.cookieName, context.secure)
        : context.cookie === 'issue' && session
          ? policy.issue(context.cookieName, session.id, context.secure, session.cookie.maxAge)
          : undefined;
    if (value === undefined) return;
    if (context.res.headersSent) {
      this.logger.warn('The response was sent before the session cookie could be set');
      return;
    }
    policy.put(context.res, context.cookieName, value);
  }

  /** Whether a new session's cookie can reach the browser over this request (Secure over HTTP). */
  deliverable(context: SessionContext): boolean {
    return this.policy.deliverable(context.secure);
  }

  /** Takes back a cookie put on the response for a change that failed. */
  unsend(context: SessionContext, previous: SessionContext['cookie']): void {
    context.cookie = previous;
    if (!context.res.headersSent) this.policy.put(context.res, context.cookieName);
  }
}
