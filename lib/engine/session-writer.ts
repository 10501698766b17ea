import type { IncomingMessage } from 'node:http';
import { HttpException, Logger } from '@nestjs/common';
import type { SessionEvents } from '../events/session-events.js';
import type { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { SessionMetadata } from '../session-data.interface.js';
import {
  failureAnswer,
  SessionCookieUndeliverableException,
  SessionRevokedException,
  UnboundLoginException,
} from '../session.errors.js';
import type { SessionRecords } from '../stores/session-records.js';
import type { UserSessionIndex } from '../user-session-index.js';
import { passportUserOf } from './passport-login.js';
import type { RequestTransport } from './request-transport.js';
import { RequestSessionObject, type SessionState } from './request-session.js';
import { handleOf, requireContext, setSession, storedOf } from './request-session-slot.js';
import type { SessionCookiePolicy } from './session-cookie.js';
import type { SessionContext } from './session-context.js';

const MAX_USER_AGENT_LENGTH = 256;

/** @internal What the writer works with. */
export interface SessionWriterParts {
  policy: SessionCookiePolicy;
  /** Puts the cookie the context calls for on the response, as soon as it is decided. */
  cookies: {
    send(req: IncomingMessage, context: SessionContext): void;
    unsend(context: SessionContext, previous: SessionContext['cookie']): void;
  };
  transport: RequestTransport;
  records: SessionRecords;
  index: UserSessionIndex;
  lifetime: SessionLifetime;
  events: SessionEvents;
  maxSessionsPerUser?: number;
}

/**
 * @internal Stores a request's session: one record write, with what a login adds before it (the
 * user's index) and after it (the old session retired, the event, the per-user limit). The old
 * session is retired only once the new one is stored; a failure before that puts the request's
 * previous session back, so a login that cannot complete changes nothing.
 */
export class SessionWriter {
  private readonly logger = new Logger('SessionModule');

  constructor(private readonly parts: SessionWriterParts) {}

  /** The one write path: index (a new login), record, then retire the session it replaced. */
  async write(
    req: IncomingMessage,
    session: RequestSessionObject,
    dataJson: string,
  ): Promise<void> {
    const { records, index, lifetime, events, transport } = this.parts;
    const context = requireContext(req);
    const state = RequestSessionObject.stateOf(session);
    const isNew = state.storedData === undefined;
    const previous = state.replaces;
    const now = Date.now();
    const cookieBefore = context.cookie;
    let meta: SessionMetadata | undefined;
    let indexSize: number | undefined;
    try {
      this.refuseUndeliverable(context, isNew);
      if (isNew) {
        // Put on the response now: it may leave before the store answers (an unawaited save).
        context.cookie = 'issue';
        this.parts.cookies.send(req, context);
      }
      // Loaded before a revocation whose tombstone has since expired: it is past its deadline.
      if (!isNew && state.meta && lifetime.expiredBy(state.meta, now)) {
        throw new SessionRevokedException();
      }
      meta = this.metaToStore(req, session, state, now);
      if (meta.userId !== undefined && !state.indexed) {
        indexSize = await index.add(handleOf(state), { ...meta, userId: meta.userId });
      }
      if (!(await records.write(handleOf(state), meta, dataJson))) {
        const ip = transport.clientIp(req);
        events.emit('rejected', { handle: handleOf(state), reason: 'write-after-revoke', ip });
        throw new SessionRevokedException();
      }
    } catch (err) {
      // A new session indexed, or whose write may still land, must not outlive the failure.
      if (isNew && meta) await this.retire(state).catch(() => undefined);
      if (previous) setSession(req, previous);
      if (isNew) this.parts.cookies.unsend(context, cookieBefore);
      throw this.asAnswer(err);
    }
    Object.assign(state, { meta, storedData: dataJson, indexed: meta!.userId !== undefined });
    state.replaces = undefined;
    const replaced = previous && storedOf(previous);
    if (replaced) {
      let existed: boolean;
      try {
        existed = await this.retire(replaced);
      } catch (err) {
        await this.retire(state).catch(() => undefined);
        setSession(req, previous);
        this.parts.cookies.unsend(context, cookieBefore);
        throw this.asAnswer(err);
      }
      // Revoked meanwhile while logged in: its login must not live on under the new ID.
      if (!existed && replaced.meta?.userId !== undefined) {
        await this.retire(state);
        setSession(req, undefined);
        this.parts.cookies.unsend(context, cookieBefore);
        throw new SessionRevokedException();
      }
    }
    if (isNew || this.parts.policy.persistent(session.cookie.maxAge)) {
      context.cookie = 'issue';
      this.parts.cookies.send(req, context);
    }
    if (state.login) await this.announceLogin(req, state, replaced, indexSize ?? 0);
  }

  private refuseUndeliverable(context: SessionContext, isNew: boolean): void {
    if (!isNew) return;
    if (!this.parts.policy.deliverable(context.secure)) {
      throw new SessionCookieUndeliverableException();
    }
    if (context.res.headersSent) {
      // The response's headers left already: a new cookie cannot follow, so nothing is stored
      // that the client would never hold.
      throw new Error('the response headers were sent before the new session cookie could be');
    }
  }

  // The metadata the write stores: renewed when due; bound to a Passport user when a login
  // just put one in a session whose ID is new on this request (Passport 0.6+ regenerates). On an
  // ID that came with the request, a Passport login is refused: that would be fixation.
  private metaToStore(
    req: IncomingMessage,
    session: RequestSessionObject,
    state: SessionState,
    now: number,
  ): SessionMetadata {
    const meta = state.meta ?? { createdAt: now, lastActivityAt: now };
    const passportUser = meta.userId === undefined ? passportUserOf(session) : undefined;
    if (passportUser !== undefined && state.storedData !== undefined) {
      // Stored unbound, `passport.user` would still log in apps that trust Passport's `req.user`
      // (whether or not this write also renews the session).
      const refusal = new UnboundLoginException();
      this.logger.warn(refusal.message);
      throw refusal;
    }
    if (passportUser !== undefined) {
      state.login = 'created';
      const client = this.clientOf(req);
      return {
        createdAt: now,
        lastActivityAt: now,
        ...client,
        userId: passportUser,
        authenticatedAt: now,
      };
    }
    if (state.storedData !== undefined && this.parts.lifetime.renewalDue(meta, now)) {
      return { ...meta, lastActivityAt: now };
    }
    return meta;
  }

  private async announceLogin(
    req: IncomingMessage,
    state: SessionState,
    replaced: SessionState | undefined,
    indexSize: number,
  ): Promise<void> {
    const { events, index, maxSessionsPerUser } = this.parts;
    const { userId, ip, userAgent } = state.meta!;
    const handle = handleOf(state);
    const kind = state.login;
    state.login = undefined;
    if (kind === 'regenerated') {
      const previousHandle = replaced ? handleOf(replaced) : handle;
      if (userId === undefined) {
        events.emit('regenerated', { handle, previousHandle });
        return;
      }
      events.emit('regenerated', { handle, previousHandle, userId });
      return;
    }
    events.emit('created', { handle, userId: userId!, ip, userAgent });
    if (
      maxSessionsPerUser &&
      (await index.evictBeyondLimit(userId!, maxSessionsPerUser, indexSize)).includes(handle)
    ) {
      // Logins racing past the limit: the newest win, and this one was not among them.
      setSession(req, undefined);
      throw new SessionRevokedException();
    }
  }

  /** Revokes a stored session and drops it from its user's index; resolves whether it existed. */
  async retire(state: Pick<SessionState, 'id' | 'handle' | 'meta'>): Promise<boolean> {
    const handle = handleOf(state);
    const existed = await this.parts.records.revoke(handle, state.meta);
    if (state.meta?.userId) await this.parts.index.remove(state.meta.userId, [handle]);
    return existed;
  }

  /** A refusal (401, 413...) keeps its status; any other failure of the store is a 503 (logged). */
  asAnswer(err: unknown): HttpException {
    return failureAnswer(err, this.logger);
  }

  /** Where the request comes from, as a login records it. */
  clientOf(req: IncomingMessage): { ip?: string; userAgent?: string } {
    const ip = this.parts.transport.clientIp(req);
    const userAgent = req.headers['user-agent']?.slice(0, MAX_USER_AGENT_LENGTH);
    return {
      ...(ip === undefined ? {} : { ip }),
      ...(userAgent === undefined ? {} : { userAgent }),
    };
  }
}
