import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import { failureAnswer, SessionRequiredException } from '../session.errors.js';
import { RequestSessionObject } from './request-session.js';
import { sessionContextOf, sessionOf, setSession } from './request-session-slot.js';
import type { SessionContext } from './session-context.js';

// Methods that change nothing (RFC 9110 safe methods): they rely on the announcement alone.
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * @internal The requests in flight on this instance, by the handle of the session each loaded:
 * followed from the start of the load (an end announced during the read counts) until the
 * response closes, so there are never more than the requests being served. When a session ends,
 * on any instance, its requests here are marked, and no guarded handler starts for them.
 */
export class RequestsInFlight {
  private readonly logger = new Logger('SessionModule');
  private readonly byHandle = new Map<string, Set<FollowedRequest>>();

  /** @param isRevoked whether the store holds the session's tombstone (one store command). */
  constructor(private readonly isRevoked: (handle: string) => Promise<boolean>) {}

  /** Follows the request of `context`, whose session `handle` is being loaded. */
  follow(handle: string, context: SessionContext): void {
    const request = new FollowedRequest(handle, () => this.askStore(handle));
    context.flight = request;
    let requests = this.byHandle.get(handle);
    if (!requests) this.byHandle.set(handle, (requests = new Set()));
    requests.add(request);
    context.res.once('close', () => {
      requests.delete(request);
      if (requests.size === 0 && this.byHandle.get(handle) === requests) {
        this.byHandle.delete(handle);
      }
    });
  }

  /** A session ended (logout, revocation, expiry, a login that replaced it), here or elsewhere. */
  ended(handle: string): void {
    for (const request of this.byHandle.get(handle) ?? []) request.ended = true;
  }

  /** How many requests are followed (for tests: none once they are answered). */
  get size(): number {
    return this.byHandle.size;
  }

  private async askStore(handle: string): Promise<void> {
    let revoked: boolean;
    try {
      revoked = await this.isRevoked(handle);
    } catch (err) {
      throw failureAnswer(err, this.logger);
    }
    if (revoked) throw new SessionRequiredException();
  }
}

/** @internal A request followed while in flight: the session it loaded, and whether it ended. */
export class FollowedRequest {
  /** The session ended while the request was in flight (an announcement arrived). */
  ended = false;
  private checked?: Promise<void>;

  constructor(
    readonly handle: string,
    private readonly askStore: () => Promise<void>,
  ) {}

  /**
   * Refuses (401) a session that ended while the request was in flight. A state-changing request
   * also asks the store, once per request, so that an announcement lost (a failover, a
   * subscription not yet up) cannot let it through; 503 when the store cannot answer.
   */
  confirm(readOnly: boolean): void | Promise<void> {
    if (this.ended) throw new SessionRequiredException();
    if (readOnly) return;
    return (this.checked ??= this.askStore());
  }
}

/**
 * @internal Refuses a request whose session was revoked after it was loaded: the request goes on
 * without it (nothing is written back, the cookie is cleared) and the refusal is thrown. Only the
 * session the request loaded is checked: one its own login or regenerate replaced it with is new.
 */
export function confirmSessionNotEnded(req: IncomingMessage): void | Promise<void> {
  const context = sessionContextOf(req);
  const flight = context?.flight;
  if (!context || !flight || !hasLoaded(req, flight)) return;
  try {
    const pending = flight.confirm(READ_ONLY_METHODS.has(req.method ?? 'GET'));
    return pending?.catch((err: unknown) => refuse(req, context, flight, err));
  } catch (err) {
    return refuse(req, context, flight, err);
  }
}

function hasLoaded(req: IncomingMessage, flight: FollowedRequest): boolean {
  const session = sessionOf(req);
  return session !== undefined && RequestSessionObject.stateOf(session).handle === flight.handle;
}

function refuse(
  req: IncomingMessage,
  context: SessionContext,
  flight: FollowedRequest,
  err: unknown,
): never {
  if (err instanceof SessionRequiredException && hasLoaded(req, flight)) {
    setSession(req, undefined);
    context.cookie = 'clear';
  }
  throw err;
}
