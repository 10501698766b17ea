import type { IncomingMessage } from 'node:http';
import type { ExpiryReason } from '../lifetime/session-lifetime.js';
import type { FollowedRequest } from './requests-in-flight.js';
import type { SessionResponse } from './session-response.js';

/**
 * @internal What the engine knows about one request, from loading to the response. The request's
 * session object carries it (see request-session-slot.ts), so it costs the request no property of
 * its own.
 */
export interface SessionContext {
  /** The request, as the platform hands it to handlers (Express's, or Fastify's). */
  readonly req: IncomingMessage;
  /** Whether the request was seen as HTTPS (the platform's view: `trust proxy`, `trustProxy`). */
  readonly secure: boolean;
  /** The cookie name this request uses. */
  readonly cookieName: string;
  /** The store failed while loading the session: whatever uses the session answers 503. */
  failure?: unknown;
  /** The cookie's session had expired and was ended on this request. */
  expired?: ExpiryReason;
  /** Saves and logouts not awaited by the app: the response waits for them before it commits. */
  inflight?: Promise<unknown>;
  /** A logout on this request failed and the session lives on: the response says so (503). */
  failedLogout?: unknown;
  /** The session the request loaded, followed while in flight (see RequestsInFlight). */
  flight?: FollowedRequest;
  /**
   * The ID the request's cookie carried that the store never held (an anonymous session's, never
   * written): what its CSRF tokens are bound to.
   */
  unstoredId?: string;
  /** The `Set-Cookie` the response carries: the session's ID, or a cleared cookie. */
  cookie?: 'issue' | 'clear';
  /** The response, until its headers leave. */
  readonly res: SessionResponse;
}
