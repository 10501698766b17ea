import type { IncomingMessage } from 'node:http';
import { requireContext, requireSessionObject, sessionOf } from './request-session-slot.js';
import { RequestSessionObject } from './request-session.js';
import type { ResponseCookies } from './response-cookies.js';
import { SessionCookieUndeliverableException } from '../session.errors.js';

/**
 * @internal The session ID a CSRF token of this request must be bound to: the stored session's;
 * or, for an anonymous visitor whose session was never stored, the ID its cookie carried (a new
 * anonymous session is not stored until it holds data, so that ID is what stays in the browser).
 * None for a request whose cookie named a logged-out, revoked or expired session.
 */
export function csrfBindingOf(req: IncomingMessage): string | undefined {
  const context = requireContext(req);
  const session = sessionOf(req);
  if (!session) return undefined; // destroyed on this request
  const state = RequestSessionObject.stateOf(session);
  return state.storedData !== undefined ? state.id : context.unstoredId;
}

/**
 * @internal The ID to issue a CSRF token for, making sure the browser holds it: the binding when
 * there is one (a never-stored ID's cookie is not cleared: see SessionEngine.load); else the new
 * anonymous session's ID, its cookie issued now though nothing is stored.
 */
export function issueCsrfBinding(req: IncomingMessage, cookies: ResponseCookies): string {
  const bound = csrfBindingOf(req);
  if (bound !== undefined) return bound;
  const context = requireContext(req);
  const session = requireSessionObject(req);
  if (!cookies.deliverable(context)) throw new SessionCookieUndeliverableException();
  context.cookie = 'issue';
  cookies.send(req, context);
  return session.id;
}
