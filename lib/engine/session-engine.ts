import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpException, Logger } from '@nestjs/common';
import type { SessionEvents } from '../events/session-events.js';
import type { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { ConnectRedisMigration } from '../migration/connect-redis.migration.js';
import type { SessionMetadata, SessionCookieSettings } from '../session-data.interface.js';
import {
  errorMessage,
  SessionCookieUndeliverableException,
  SessionRequiredException,
  SessionRevokedError,
  SessionStoreUnavailableException,
} from '../session.errors.js';
import { sessionHandle } from '../session-handle.js';
import type { LoadedRecord, SessionRecords } from '../stores/session-records.js';
import type { UserSessionIndex } from '../user-session-index.js';
import type { SessionCookiePolicy } from './session-cookie.js';
import { sessionContextOf, type SessionContext } from './session-context.js';
import { passportLoggedOut, passportUserOf } from './passport-login.js';
import type { RequestTransport } from './request-transport.js';
import {
  RequestSessionObject,
  UnavailableSession,
  type SessionOperations,
  type SessionState,
} from './request-session.js';

const MAX_USER_AGENT_LENGTH = 256;

/** @internal What the engine works with. */
export interface SessionEngineParts {
  policy: SessionCookiePolicy;
  transport: RequestTransport;
  records: SessionRecords;
  index: UserSessionIndex;
  lifetime: SessionLifetime;
  events: SessionEvents;
  maxSessionsPerUser?: number;
  migration?: ConnectRedisMigration;
}

/** @internal Options of an in-memory regenerate. */
export interface RegenerateSpec {
  /** Keys carried over into the new session. */
  keep?: readonly string[];
  /** Carry the login (same user, same creation time: the absolute deadline stays). */
  keepLogin?: boolean;
}

/**
 * @internal The session engine: one pass per request. `load` reads and verifies the cookie once,
 * computes the handle once, reads the store once and ends an expired session; `commit` writes
 * the session at most once, before the response is sent, and only when its data changed or its
 * renewal is due. Login and regenerate switch the session in memory and store it with one write,
 * retiring the old one only after the new one is stored, so a failure leaves the old one as it was.
 */
export class SessionEngine implements SessionOperations {
  private readonly logger = new Logger('SessionModule');

  constructor(private readonly parts: SessionEngineParts) {}

  /** Gives the request its session: the cookie's, or a new anonymous one. Never rejects. */
  async load(req: IncomingMessage, context: SessionContext, sessionId: string): Promise<void> {
    const { records, lifetime, events, migration, transport } = this.parts;
    const handle = sessionHandle(sessionId);
    try {
      let loaded: LoadedRecord = await records.load(handle);
      if ('missing' in loaded && loaded.missing === 'unknown' && migration) {
        const adopted = await migration.adopt(sessionId, handle).catch((err: unknown) => {
          this.logger.warn(`A connect-redis session could not be migrated: ${errorMessage(err)}`);
          return undefined;
        });
        if (adopted) loaded = { session: adopted };
      }
      if ('missing' in loaded) {
        events.emit('rejected', { handle, reason: loaded.missing, ip: transport.clientIp(req) });
        context.cookie = 'clear';
        return this.startAnonymous(req);
      }
      const { meta, data, dataJson } = loaded.session;
      const expired = lifetime.expiredBy(meta, Date.now());
      if (expired) {
        events.emit('expired', { handle, userId: meta.userId, reason: expired });
        await records.revoke(handle, meta);
        context.expired = expired;
        context.cookie = 'clear';
        return this.startAnonymous(req);
      }
      const state: SessionState = {
        id: sessionId,
        handle,
        meta,
        storedData: dataJson,
        indexed: meta.userId !== undefined,
      };
      setSession(req, new RequestSessionObject(this, req, state, data));
    } catch (err) {
      context.failure = err;
      setUnavailable(req, () => new SessionStoreUnavailableException());
      this.logger.error(`Session store failed: ${errorMessage(err)}`);
    }
  }

  /** Gives the request a new anonymous session, stored only once it holds data. */
  startAnonymous(req: IncomingMessage): void {
    setSession(req, new RequestSessionObject(this, req, { id: newSessionId(), indexed: false }));
  }

  /** A new session ID in memory, carrying what `spec` allows; nothing is stored yet. */
  regenerate(req: IncomingMessage, { keep = [], keepLogin = false }: RegenerateSpec = {}): void {
    const old = requireSessionObject(req);
    const oldState = RequestSessionObject.stateOf(old);
    const kept: Record<string, unknown> = {};
    for (const key of keep) {
      const value = (old as unknown as Record<string, unknown>)[key];
      if (value !== undefined) kept[key] = value;
    }
    const state: SessionState = { id: newSessionId(), indexed: false, replaces: old };
    if (keepLogin) {
      state.login = 'regenerated';
      if (oldState.meta?.userId) state.meta = { ...oldState.meta };
    }
    setSession(req, new RequestSessionObject(this, req, state, kept));
  }

  /** Binds the request's (regenerated, not yet stored) session to a user: a login. */
  bindLogin(req: IncomingMessage, session: RequestSessionObject, userId: string): void {
    const now = Date.now();
    const state = RequestSessionObject.stateOf(session);
    state.meta = { createdAt: now, lastActivityAt: now, ...this.clientOf(req), userId };
    state.login = 'created';
  }

  /** Writes the request's session now; on failure the request keeps the session it had before. */
  async save(req: IncomingMessage): Promise<void> {
    const session = requireSessionObject(req);
    await this.write(req, session, JSON.stringify(session));
  }

  /** Ends the request's session: revoked in the store, out of its user's index, cookie cleared. */
  async destroy(req: IncomingMessage): Promise<void> {
    const context = requireContext(req);
    const session = sessionOf(req);
    const state = session && (storedOf(session) ?? RequestSessionObject.stateOf(session));
    if (state?.storedData !== undefined) {
      await this.retire(state).catch((err: unknown) => {
        throw this.asAnswer(err);
      });
    }
    if (state) {
      this.parts.events.emit('destroyed', { handle: handleOf(state), userId: state.meta?.userId });
    }
    setSession(req, undefined);
    context.cookie = 'clear';
  }

  /** Reads the request's session from the store again, dropping unsaved changes. */
  async reload(req: IncomingMessage): Promise<void> {
    const session = requireSessionObject(req);
    const state = RequestSessionObject.stateOf(session);
    const loaded = await this.parts.records.load(handleOf(state));
    if (!('session' in loaded)) throw new SessionRequiredException('Session ended');
    const { meta, data, dataJson } = loaded.session;
    const fresh: SessionState = { ...state, meta, storedData: dataJson };
    setSession(req, new RequestSessionObject(this, req, fresh, data));
  }

  /**
   * What the end of the request must do: nothing (`undefined`, the common case, decided without
   * waiting), or a write of a changed or renewal-due session, or the retirement of a session that
   * was regenerated into an empty one (a logout through Passport).
   */
  commit(req: IncomingMessage): Promise<void> | undefined {
    const session = sessionOf(req);
    if (!session) return undefined;
    const state = RequestSessionObject.stateOf(session);
    if (state.storedData === undefined && isEmpty(session)) {
      const replaced = state.replaces && storedOf(state.replaces);
      return replaced && this.destroy(req);
    }
    const dataJson = JSON.stringify(session);
    if (dataJson === state.storedData && !this.parts.lifetime.renewalDue(state.meta!, Date.now())) {
      return undefined;
    }
    return this.write(req, session, dataJson);
  }

  /** The handle of the request's session (its ID's SHA-256, computed once per session). */
  handleOf(req: IncomingMessage): string | undefined {
    const session = sessionOf(req);
    return session && handleOf(RequestSessionObject.stateOf(session));
  }

  /** The `Set-Cookie` value the response must carry, if any. */
  cookieHeader(req: IncomingMessage, context: SessionContext): string | undefined {
    const { policy } = this.parts;
    if (context.cookie === 'clear') return policy.clear(context.cookieName, context.secure);
    const session = sessionOf(req);
    if (context.cookie !== 'issue' || !session) return undefined;
    return policy.issue(context.cookieName, session.id, context.secure, session.cookie.maxAge);
  }

  cookieSettings(req: IncomingMessage, _state: SessionState): SessionCookieSettings {
    const { secure } = requireContext(req);
    return this.parts.policy.settings(secure);
  }

  // The one write path: index (a new login), record, then retire the session it replaced.
  private async write(
    req: IncomingMessage,
    session: RequestSessionObject,
    dataJson: string,
  ): Promise<void> {
    const { records, index, lifetime, policy } = this.parts;
    const context = requireContext(req);
    const state = RequestSessionObject.stateOf(session);
    const isNew = state.storedData === undefined;
    if (isNew && !policy.deliverable(context.secure)) {
      throw new SessionCookieUndeliverableException();
    }
    if (state.meta?.userId !== undefined && passportLoggedOut(session)) {
      // Passport ended the login: the session ends with it, and the request goes on anonymous.
      await this.destroy(req);
      this.startAnonymous(req);
      return;
    }
    const now = Date.now();
    let meta: SessionMetadata = state.meta ?? { createdAt: now, lastActivityAt: now };
    if (!isNew && lifetime.renewalDue(meta, now)) meta = { ...meta, lastActivityAt: now };
    if (meta.userId === undefined) {
      const passportUser = passportUserOf(session);
      if (passportUser !== undefined) {
        meta = { createdAt: now, lastActivityAt: now, ...this.clientOf(req), userId: passportUser };
        state.login = 'created';
      }
    }
    const handle = handleOf(state);
    const previous = state.replaces;
    try {
      if (meta.userId !== undefined && !state.indexed) {
        await index.add(handle, { ...meta, userId: meta.userId });
      }
      await records.write(handle, meta, dataJson);
    } catch (err) {
      if (previous) setSession(req, previous);
      throw this.asAnswer(err);
    }
    Object.assign(state, { meta, storedData: dataJson, indexed: meta.userId !== undefined });
    state.replaces = undefined;
    const replaced = previous && storedOf(previous);
    if (replaced) {
      let existed: boolean;
      try {
        existed = await this.retire(replaced);
      } catch (err) {
        await this.retire(state).catch(() => undefined);
        setSession(req, previous);
        throw this.asAnswer(err);
      }
      // Revoked meanwhile while logged in: its login must not live on under the new ID.
      if (!existed && replaced.meta?.userId !== undefined) {
        await this.retire(state);
        setSession(req, undefined);
        throw new SessionRevokedError();
      }
    }
    if (isNew || policy.persistent(session.cookie.maxAge)) context.cookie = 'issue';
    if (state.login) await this.announceLogin(req, state, replaced);
  }

  private async announceLogin(
    req: IncomingMessage,
    state: SessionState,
    replaced: SessionState | undefined,
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
      (await index.evictBeyondLimit(userId!, maxSessionsPerUser)).includes(handle)
    ) {
      // Logins racing past the limit: the newest win, and this one was not among them.
      setSession(req, undefined);
      throw new SessionRevokedError();
    }
  }

  // Revokes a stored session and drops it from its user's index; resolves whether it existed.
  private async retire(state: SessionState): Promise<boolean> {
    const handle = handleOf(state);
    const existed = await this.parts.records.revoke(handle, state.meta);
    if (state.meta?.userId) await this.parts.index.remove(state.meta.userId, [handle]);
    return existed;
  }

  // A refusal (401, 413...) keeps its status; any other failure of the store is a 503 (logged).
  private asAnswer(err: unknown): HttpException {
    if (err instanceof HttpException) return err;
    this.logger.error(`Session store failed: ${errorMessage(err)}`);
    return new SessionStoreUnavailableException();
  }

  private clientOf(req: IncomingMessage): { ip?: string; userAgent?: string } {
    const ip = this.parts.transport.clientIp(req);
    const userAgent = req.headers['user-agent']?.slice(0, MAX_USER_AGENT_LENGTH);
    return {
      ...(ip === undefined ? {} : { ip }),
      ...(userAgent === undefined ? {} : { userAgent }),
    };
  }
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

function requireSessionObject(req: IncomingMessage): RequestSessionObject {
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
export function setUnavailable(req: IncomingMessage, reason: () => Error): void {
  const target = req as IncomingMessage & { session?: unknown; sessionID?: string };
  target.session = new UnavailableSession(reason);
  target.sessionID = undefined;
}

function setSession(req: IncomingMessage, session: RequestSessionObject | undefined): void {
  const target = req as IncomingMessage & { session?: unknown; sessionID?: string };
  target.session = session;
  target.sessionID = session?.id;
}

// The nearest session in a regenerate chain that is in the store, if any.
function storedOf(session: RequestSessionObject): SessionState | undefined {
  let state: SessionState | undefined = RequestSessionObject.stateOf(session);
  while (state && state.storedData === undefined) {
    state = state.replaces && RequestSessionObject.stateOf(state.replaces);
  }
  return state;
}

function handleOf(state: SessionState): string {
  return (state.handle ??= sessionHandle(state.id));
}

function newSessionId(): string {
  // 192 bits, as express-session's uid(24).
  return randomBytes(24).toString('base64url');
}

function isEmpty(session: object): boolean {
  for (const _key in session) return false;
  return true;
}
