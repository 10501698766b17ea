import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SessionEvents } from './events/session-events.js';
import { SessionLifetime } from './lifetime/session-lifetime.js';
import type { ResolvedSessionOptions } from './options/resolved-session-options.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from './session.constants.js';
import type { SessionData, SessionMetadata } from './session-data.interface.js';
import type {
  LoginOptions,
  RegenerateOptions,
  SessionInfo,
  SessionListing,
} from './session-service.interfaces.js';
import {
  errorMessage,
  SessionRequiredException,
  SessionRevokedError,
  SessionStoreUnavailableException,
} from './session.errors.js';
import { sessionHandle } from './session-handle.js';
import { requireSession } from './session-request.js';
import type { RevocableSessionStore, SessionStoreKind } from './stores/revocable-session.store.js';
import { UserSessionIndex } from './user-session-index.js';

const HANDLE = /^[\w-]{22}$/;
const MAX_USER_ID_LENGTH = 256;
const MAX_USER_AGENT_LENGTH = 256;

/**
 * The session lifecycle, with a promise API: login and logout, regenerate, and the user's
 * sessions — list, revoke one, revoke all, revoke the others. Store failures reject with a 503.
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger('SessionService');

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    @Inject(SESSION_STORE) private readonly store: RevocableSessionStore,
    private readonly index: UserSessionIndex,
    private readonly lifetime: SessionLifetime,
    private readonly events: SessionEvents,
  ) {}

  /** Which store holds the sessions. */
  get storeKind(): SessionStoreKind {
    return this.store.kind;
  }

  /** Resolves true when the store answers within its command timeout. */
  isStoreReachable(): Promise<boolean> {
    return this.store.isReachable();
  }

  /**
   * Logs the request in as `userId`: a new session ID (the old session is destroyed, so an ID
   * planted before login never becomes authenticated), carrying over only the `keep` keys, bound
   * to the user with creation time, IP and user agent, and added to the user's session index.
   * With `maxSessionsPerUser`, the user's oldest sessions beyond the limit are revoked.
   */
  async login<K extends keyof SessionData>(
    req: Request,
    userId: string | number,
    { keep, data }: LoginOptions<K> = {},
  ): Promise<void> {
    const id = checkedUserId(userId);
    const now = Date.now();
    const userAgent = req.get('user-agent')?.slice(0, MAX_USER_AGENT_LENGTH);
    const meta = { createdAt: now, lastActivityAt: now, userId: id, ip: req.ip, userAgent };
    await this.replaceSession(req, { keep, data, meta });
    const handle = sessionHandle(req.sessionID);
    this.events.emit('created', { handle, userId: id, ip: req.ip, userAgent });
    const limit = this.options.maxSessionsPerUser;
    if (limit && (await this.index.evictBeyondLimit(id, limit)).includes(handle)) {
      // Logins racing past the limit: the newest win, and this one was not among them.
      Reflect.deleteProperty(req, 'session');
      throw new SessionRevokedError();
    }
  }

  /**
   * Gives the request a new session ID and destroys the old session, carrying over only the keys
   * in `keep`, and saves it. A logged-in session stays logged in (same user, same absolute
   * deadline). Use it on privilege changes. Rejects if the store fails.
   */
  async regenerate(req: Request, { keep }: RegenerateOptions = {}): Promise<void> {
    const previousHandle = sessionHandle(req.sessionID);
    const old = requireSession(req).meta;
    const now = Date.now();
    const userAgent = req.get('user-agent')?.slice(0, MAX_USER_AGENT_LENGTH);
    const meta: SessionMetadata = old?.userId
      ? { ...old, lastActivityAt: now, ip: req.ip, userAgent }
      : { createdAt: now, lastActivityAt: now };
    await this.replaceSession(req, { keep, meta });
    if (meta.userId) await this.store.removeUserSessions(meta.userId, [previousHandle]);
    const handle = sessionHandle(req.sessionID);
    this.events.emit('regenerated', { handle, previousHandle, userId: meta.userId });
  }

  /** Writes the session to the store now. Rejects with 503 if the store fails, 401 if revoked. */
  save(req: Request): Promise<void> {
    const session = requireSession(req);
    return this.storeCall((done) => session.save(done));
  }

  /** The current session's handle and times, or `undefined` for a session never saved. */
  info(req: Request): SessionInfo | undefined {
    const { meta } = requireSession(req);
    if (!meta) return undefined;
    return {
      id: sessionHandle(req.sessionID),
      createdAt: meta.createdAt,
      lastActivityAt: meta.lastActivityAt,
    };
  }

  /**
   * Logs out: deletes the session, puts its ID on the denylist (so neither a replayed cookie nor
   * a request still in flight can use or write it back), and clears the cookie.
   */
  async destroy(req: Request, res: Response): Promise<void> {
    const session = requireSession(req);
    const handle = sessionHandle(req.sessionID);
    const userId = session.meta?.userId;
    // A session without meta was never stored: nothing to delete, and no tombstone to write.
    if (session.meta) await this.storeCall((done) => session.destroy(done));
    if (userId) await this.store.removeUserSessions(userId, [handle]);
    const secure = req.secure || this.options.cookie.secure === true;
    const name = secure ? this.options.cookieNames.secure : this.options.cookieNames.plain;
    const { path, domain, sameSite, httpOnly } = this.options.cookie;
    res.clearCookie(name, { path, domain, sameSite, httpOnly, secure });
    this.events.emit('destroyed', { handle, userId });
  }

  /** Same as `destroy()`: reads naturally in an auth controller. */
  logout(req: Request, res: Response): Promise<void> {
    return this.destroy(req, res);
  }

  /** The user's live sessions, newest first. Costs O(that user's sessions), never a scan. */
  async list(userId: string | number, req?: Request): Promise<SessionListing[]> {
    const current = req?.sessionID ? sessionHandle(req.sessionID) : undefined;
    const entries = await this.index.live(checkedUserId(userId));
    return [...entries]
      .map(([id, session]) => ({ id, ...session, current: id === current }))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * Revokes one of the user's sessions by its handle (as `list()` shows it). Resolves false when
   * the handle is unknown or belongs to another user, so a caller cannot probe other users.
   */
  async revoke(userId: string | number, handle: string): Promise<boolean> {
    const id = checkedUserId(userId);
    if (!HANDLE.test(handle)) return false;
    if (!(await this.index.live(id)).has(handle)) return false;
    await this.index.revoke(id, [handle], 'revoke');
    return true;
  }

  /** Revokes every session of the user ("sign out everywhere"); resolves how many. */
  async revokeAll(userId: string | number): Promise<number> {
    const id = checkedUserId(userId);
    const handles = await this.index.handles(id);
    await this.index.revoke(id, handles, 'revoke-all');
    return handles.length;
  }

  /** Revokes every session of the request's user except the request's own; resolves how many. */
  async revokeOthers(req: Request): Promise<number> {
    const userId = requireSession(req).meta?.userId;
    if (!userId) throw new SessionRequiredException();
    const current = sessionHandle(req.sessionID);
    const others = (await this.index.handles(userId)).filter((handle) => handle !== current);
    await this.index.revoke(userId, others, 'revoke-others');
    return others.length;
  }

  /** @internal Ends a session past its timeout, leaving the request a fresh anonymous one. */
  async endExpired(req: Request): Promise<void> {
    const userId = requireSession(req).meta?.userId;
    const handle = sessionHandle(req.sessionID);
    await this.storeCall((done) => requireSession(req).regenerate(done));
    if (userId) await this.store.removeUserSessions(userId, [handle]);
  }

  // Swaps the request's session for a new ID carrying `keep`, `data` and `meta`, and stores it.
  private async replaceSession(
    req: Request,
    {
      keep = [],
      data,
      meta,
    }: { keep?: (keyof SessionData)[]; data?: object; meta: SessionMetadata },
  ): Promise<void> {
    const old = requireSession(req);
    const kept = Object.fromEntries(
      keep.filter((key) => old[key] !== undefined).map((key) => [key, old[key]]),
    );
    try {
      // A session without meta was never stored: nothing to destroy, no tombstone to write.
      if (old.meta) {
        const ttl = this.lifetime.tombstoneTtl(old.meta, Date.now());
        const existed = await this.store.revokeRecord(sessionHandle(req.sessionID), ttl);
        // Revoked (or expired) while this request ran: its login must not live on under a new ID.
        if (!existed && old.meta.userId) throw new SessionRevokedError();
      }
      req.sessionStore.generate(req);
      Object.assign(requireSession(req), kept, data, { meta });
      // Indexed before it is stored, so a revoke-all from now on reaches it.
      if (meta.userId) {
        await this.store.addToIndex({ ...meta, userId: meta.userId }, sessionHandle(req.sessionID));
      }
      await this.save(req);
    } catch (err) {
      // A new session that could not be stored must not reach the client as a cookie.
      Reflect.deleteProperty(req, 'session');
      throw err;
    }
  }

  // Runs a callback-style express-session operation; a store failure becomes a 503 (its cause is
  // logged); a refused write (revoked: 401, too large: 413) keeps its status.
  private storeCall(operation: (done: (err?: unknown) => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      operation((err?: unknown) => {
        if (!err) return resolve();
        if (err instanceof HttpException) return reject(err);
        this.logger.error(`Session store failed: ${errorMessage(err)}`);
        reject(new SessionStoreUnavailableException());
      }),
    );
  }
}

function checkedUserId(userId: string | number): string {
  const id = String(userId);
  if (
    (typeof userId !== 'string' && typeof userId !== 'number') ||
    id.length === 0 ||
    id.length > MAX_USER_ID_LENGTH
  ) {
    throw new TypeError(
      `userId must be a non-empty string or number of at most ${MAX_USER_ID_LENGTH} characters`,
    );
  }
  return id;
}
