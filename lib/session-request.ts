import type { Request } from 'express';
import { SESSION_STORE_FAILURE } from './session.constants.js';
import { SessionNotMountedError, SessionStoreUnavailableException } from './session.errors.js';
import type { RequestSession } from './session-data.interface.js';

/** @internal A request as the session middleware leaves it. */
export type SessionRequest = Request & { [SESSION_STORE_FAILURE]?: unknown };

/**
 * @internal The request's session, or the right error: 503 when the store could not be reached,
 * a programming error when the route is not behind the session middleware.
 */
export function requireSession(req: SessionRequest): RequestSession {
  if (req[SESSION_STORE_FAILURE] !== undefined) throw new SessionStoreUnavailableException();
  if (!req.session) throw new SessionNotMountedError();
  return req.session as RequestSession;
}
