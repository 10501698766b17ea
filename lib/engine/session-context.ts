import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExpiryReason } from '../lifetime/session-lifetime.js';

/** @internal What the engine knows about one request, from loading to the response. */
export interface SessionContext {
  /** Whether the request was seen as HTTPS (Express's `req.secure`). */
  readonly secure: boolean;
  /** The cookie name this request uses. */
  readonly cookieName: string;
  /** The store failed while loading the session: whatever uses the session answers 503. */
  failure?: unknown;
  /** The cookie's session had expired and was ended on this request. */
  expired?: ExpiryReason;
  /** The `Set-Cookie` the response carries: the session's ID, or a cleared cookie. */
  cookie?: 'issue' | 'clear';
  /** The response's own `end`, called once the session is committed. */
  readonly end: (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  /** Commits the session, then calls `end` (the handler's, shared by all requests). */
  readonly finish: (res: ServerResponse, endArgs: unknown[]) => void;
}

const CONTEXT = Symbol('nestjs-secure-session:context');

type WithContext = IncomingMessage & { [CONTEXT]?: SessionContext };

/** @internal The request's session context; `undefined` on a request without session handling. */
export function sessionContextOf(req: IncomingMessage): SessionContext | undefined {
  return (req as WithContext)[CONTEXT];
}

/** @internal */
export function attachSessionContext(req: IncomingMessage, context: SessionContext): void {
  (req as WithContext)[CONTEXT] = context;
}
