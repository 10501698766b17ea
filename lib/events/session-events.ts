import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { ExpiryReason } from '../lifetime/session-lifetime.js';
import { errorMessage } from '../session.errors.js';

/** Why a presented session was refused. */
export type RejectionReason =
  /** A cookie for a session that was logged out or revoked: a replay. */
  | 'revoked'
  /** A validly signed ID the store does not know: never issued, or expired. */
  | 'unknown'
  /** A cookie that is unsigned or whose signature fails: forged or tampered with. */
  | 'tampered'
  /** A stored record that fails authentication, was moved, or whose key was retired. */
  | 'undecryptable'
  /** A write by a request that loaded the session before it was revoked: refused. */
  | 'write-after-revoke';

/** Why a session was revoked. */
export type RevocationCause = 'revoke' | 'revoke-all' | 'revoke-others' | 'evicted';

/**
 * Payloads of the lifecycle events. `handle` is the opaque session handle (a SHA-256 of the
 * session ID) as `SessionService.list()` shows it — for a `tampered` cookie, a SHA-256 of its
 * value. No event ever carries a raw session ID or cookie.
 */
export interface SessionEventMap {
  created: { handle: string; userId: string; ip?: string; userAgent?: string };
  regenerated: { handle: string; previousHandle: string; userId?: string };
  destroyed: { handle: string; userId?: string };
  revoked: { handle: string; userId: string; cause: RevocationCause };
  expired: { handle: string; userId?: string; reason: ExpiryReason };
  /** `ip` is the client's address (`req.ip`), to rate-limit brute force on. */
  rejected: { handle: string; reason: RejectionReason; ip?: string };
}

/** The name of a lifecycle event. */
export type SessionEventName = keyof SessionEventMap;

/** Every lifecycle event name, e.g. to subscribe an audit log to all of them. */
export const SESSION_EVENT_NAMES: readonly SessionEventName[] = [
  'created',
  'regenerated',
  'destroyed',
  'revoked',
  'expired',
  'rejected',
];

/**
 * Session lifecycle events for audit logs and brute-force detection: inject it and subscribe,
 * e.g. `events.on('rejected', ({ handle, reason }) => audit.warn(reason, handle))`.
 * A listener that throws is logged and does not affect the request.
 */
@Injectable()
export class SessionEvents {
  private readonly emitter = new EventEmitter();
  private readonly logger = new Logger('SessionEvents');

  on<E extends SessionEventName>(event: E, listener: (payload: SessionEventMap[E]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<E extends SessionEventName>(event: E, listener: (payload: SessionEventMap[E]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  /** @internal */
  emit<E extends SessionEventName>(event: E, payload: SessionEventMap[E]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (payload: SessionEventMap[E]) => void)(payload);
      } catch (err) {
        this.logger.error(`A '${event}' session event listener threw: ${errorMessage(err)}`);
      }
    }
  }
}
