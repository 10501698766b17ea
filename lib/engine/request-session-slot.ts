import type { IncomingMessage } from 'node:http';
import { SessionRequiredException, SessionStoreUnavailableException } from '../session.errors.js';
import { sessionHandle } from '../session-handle.js';
import type { SessionSnapshot } from '../session-data.interface.js';
import type { SessionContext } from './session-context.js';
import { RequestSessionObject, UnavailableSession, type SessionState } from './request-session.js';

// Which session a request has, in one place: `req.session` is set only here, and it carries the
// request's context. (`req.sessionID` reads it: see SessionMount.)

/** @internal The request's session context; `undefined` on a request without session handling. */
export function sessionContextOf(req: IncomingMessage): SessionContext | undefined {
  const session = (req as IncomingMessage & { session?: unknown }).session;
  if (session instanceof RequestSessionObject) return RequestSessionObject.stateOf(session).context;
  return session instanceof UnavailableSession ? UnavailableSession.contextOf(session) : undefined;
}

/** @internal The request's session context, or the right refusal. */
export function requireContext(req: IncomingMessage): SessionContext {
  const context = sessionContextOf(req);
  if (!context) throw outOfScope();
  if (context.failure !== undefined) throw new SessionStoreUnavailableException();
  return context;
}

/** @internal The refusal of a route without session handling. */
export function outOfScope(): SessionRequiredException {
  return new SessionRequiredException(
    'No session on this route: it is outside the session cookie path or excluded from the session routes',
  );
}

/** @internal The request's session object, or the right refusal. */
export function requireSessionObject(req: IncomingMessage): RequestSessionObject {
  requireContext(req);
  const session = sessionOf(req);
  if (!session) {
    throw new SessionRequiredException('The session was destroyed on this request');
  }
  return session;
}

/** @internal The request's session object, if it has one. */
export function sessionOf(req: IncomingMessage): RequestSessionObject | undefined {
  const session = (req as IncomingMessage & { session?: unknown }).session;
  return session instanceof RequestSessionObject ? session : undefined;
}

/** @internal Gives a request without a usable session an inert one that answers why. */
export function setUnavailable(
  req: IncomingMessage,
  reason: () => Error,
  context?: SessionContext,
): void {
  (req as IncomingMessage & { session?: unknown }).session = new UnavailableSession(
    reason,
    context,
  );
}

/** @internal Shows a handshake's session on its request, read only (for `@Session()`). */
export function showSnapshot(req: IncomingMessage, snapshot: SessionSnapshot | undefined): void {
  const readOnly = () => new SessionRequiredException("A connection's session is read only here");
  (req as IncomingMessage & { session?: unknown }).session = snapshot
    ? new UnavailableSession(readOnly, undefined, snapshot)
    : undefined;
}

/** @internal Puts a session (or none) on the request, as `req.session` and `req.sessionID`. */
export function setSession(req: IncomingMessage, session: RequestSessionObject | undefined): void {
  (req as IncomingMessage & { session?: unknown }).session = session;
}

/** @internal The nearest session in a regenerate chain that is in the store, if any. */
export function storedOf(session: RequestSessionObject): SessionState | undefined {
  let state: SessionState | undefined = RequestSessionObject.stateOf(session);
  while (state && state.storedData === undefined) {
    state = state.replaces && RequestSessionObject.stateOf(state.replaces);
  }
  return state;
}

/** @internal The session's handle, computed once. */
export function handleOf(state: Pick<SessionState, 'id' | 'handle'>): string {
  return (state.handle ??= sessionHandle(state.id));
}
