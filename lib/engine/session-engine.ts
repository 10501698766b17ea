import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import type { LegacySessionMigration } from '../migration/legacy-session.migration.js';
import type { SessionCookieSettings } from '../session-data.interface.js';
import {
  errorMessage,
  SessionRequiredException,
  SessionStoreUnavailableException,
} from '../session.errors.js';
import { passportLoggedOut } from './passport-login.js';
import {
  RequestSessionObject,
  type SessionOperations,
  type SessionState,
} from './request-session.js';
import {
  handleOf,
  requireContext,
  requireSessionObject,
  sessionContextOf,
  sessionOf,
  setSession,
  setUnavailable,
  storedOf,
} from './request-session-slot.js';
import type { SessionContext } from './session-context.js';
import { RequestsInFlight } from './requests-in-flight.js';
import { ResponseCookies } from './response-cookies.js';
import { SessionReader } from './session-reader.js';
import { SessionWriter, type SessionWriterParts } from './session-writer.js';

/** @internal What the engine works with. */
export interface SessionEngineParts extends Omit<SessionWriterParts, 'cookies'> {
  migration?: LegacySessionMigration;
  /** Whether the store holds a session's tombstone (SessionRecords.isRevoked). */
  isRevoked: (handle: string) => Promise<boolean>;
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
  private readonly writer: SessionWriter;
  /** Puts the session cookie on responses. */
  readonly cookies: ResponseCookies;
  /** Reads sessions by their ID or handle, for this engine and for connections. */
  readonly reader: SessionReader;
  /** The requests in flight here, marked when their session ends on any instance. */
  readonly inFlight: RequestsInFlight;

  constructor(private readonly parts: SessionEngineParts) {
    this.inFlight = new RequestsInFlight(parts.isRevoked);
    this.cookies = new ResponseCookies(parts.policy);
    this.writer = new SessionWriter({ ...parts, cookies: this.cookies });
    this.reader = new SessionReader(parts, this.writer);
  }

  /**
   * Gives the request its session: that of the first of the cookie's IDs that names a live one
   * (several when cookies of the name were planted beside the real one), or a new anonymous one,
   * the cookie cleared unless it names an ID the store never held. Never rejects.
   */
  async load(
    req: IncomingMessage,
    context: SessionContext,
    sessionIds: readonly string[],
  ): Promise<void> {
    try {
      const found = await this.reader.firstLive(req, sessionIds, (handle) =>
        this.inFlight.follow(handle, context),
      );
      if (!('stored' in found)) {
        context.expired = found.expired;
        context.unstoredId = found.unstored;
        // A never-stored ID stays in the browser: it is never adopted (a write gets a new ID),
        // but an anonymous visitor's CSRF tokens are bound to it (see csrf-binding.ts).
        if (found.unstored === undefined) context.cookie = 'clear';
        return this.startAnonymous(req, context);
      }
      const { sessionId, handle, stored } = found;
      const { meta, data, dataJson } = stored;
      const state: SessionState = {
        context,
        id: sessionId,
        handle,
        meta,
        storedData: dataJson,
        indexed: meta.userId !== undefined,
      };
      setSession(req, new RequestSessionObject(this, req, state, data));
    } catch (err) {
      context.failure = err;
      setUnavailable(req, () => new SessionStoreUnavailableException(), context);
      // A store failure is logged by the store; anything else (a bug) is logged here.
      if (!(err instanceof SessionStoreUnavailableException)) {
        this.logger.error(`Session could not be loaded: ${errorMessage(err)}`);
      }
    }
  }

  /** Gives the request a new anonymous session, stored only once it holds data. */
  startAnonymous(req: IncomingMessage, context: SessionContext): void {
    const state = { context, id: newSessionId(), indexed: false };
    setSession(req, new RequestSessionObject(this, req, state));
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
    const state: SessionState = {
      context: oldState.context,
      id: newSessionId(),
      indexed: false,
      replaces: old,
    };
    if (keepLogin) {
      state.login = 'regenerated';
      if (oldState.meta?.userId) state.meta = { ...oldState.meta };
      // A Passport login lives on only with Passport's own state (`req.user` comes from it).
      const passport = (old as unknown as Record<string, unknown>).passport;
      if (passport !== undefined) kept.passport = passport;
    }
    setSession(req, new RequestSessionObject(this, req, state, kept));
  }

  /** Binds the request's (regenerated, not yet stored) session to a user: a login. */
  bindLogin(req: IncomingMessage, session: RequestSessionObject, userId: string): void {
    const now = Date.now();
    const state = RequestSessionObject.stateOf(session);
    const client = this.writer.clientOf(req);
    state.meta = { createdAt: now, lastActivityAt: now, ...client, userId, authenticatedAt: now };
    state.login = 'created';
  }

  /** Marks the request's (regenerated, not yet stored) login as proven again now. */
  markAuthenticated(req: IncomingMessage): void {
    const { meta } = RequestSessionObject.stateOf(requireSessionObject(req));
    if (meta) meta.authenticatedAt = Date.now();
  }

  /** Writes the request's session now; on failure the request keeps the session it had before. */
  save(req: IncomingMessage): Promise<void> {
    const session = requireSessionObject(req);
    const context = sessionContextOf(req);
    return this.track(context, this.store(req, session, JSON.stringify(session)));
  }

  /**
   * Ends the request's session: revoked in the store, out of its user's index, cookie cleared.
   * When that fails the session lives on, and the response says so (503) even if the app did not
   * wait for this.
   */
  destroy(req: IncomingMessage): Promise<void> {
    const context = sessionContextOf(req);
    const ending = this.end(req).then(
      () => context && (context.failedLogout = undefined),
      (err: unknown) => {
        if (context) context.failedLogout = err;
        throw err;
      },
    );
    return this.track(context, ending);
  }

  // Detaches the session and clears the cookie at once (the response waits for the store but
  // middleware may send the headers earlier), and puts both back if the store fails.
  private async end(req: IncomingMessage): Promise<void> {
    const context = requireContext(req);
    const session = sessionOf(req);
    const state = session && (storedOf(session) ?? RequestSessionObject.stateOf(session));
    const cookie = context.cookie;
    setSession(req, undefined);
    context.cookie = 'clear';
    this.cookies.send(req, context);
    if (state?.storedData !== undefined) {
      try {
        await this.writer.retire(state);
      } catch (err) {
        setSession(req, session);
        this.cookies.unsend(context, cookie);
        throw this.writer.asAnswer(err);
      }
    }
    if (state) {
      this.parts.events.emit('destroyed', { handle: handleOf(state), userId: state.meta?.userId });
    }
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
   * was regenerated into an empty one (a logout through Passport); or answer that a logout on the
   * request failed, so that a response which assumed it (a redirect) does not say it worked.
   */
  commit(req: IncomingMessage, context: SessionContext): Promise<void> | undefined {
    if (context.failedLogout) return Promise.reject(context.failedLogout);
    if (context.failure !== undefined) return undefined;
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
    return this.store(req, session, dataJson);
  }

  // Records an operation the app may not await (`req.session.destroy(); res.redirect()`), so the
  // response commits only after it: never a stale write-back racing a logout. The context is the
  // one the request had when the operation started (a logout detaches the session at once).
  private track(context: SessionContext | undefined, operation: Promise<void>): Promise<void> {
    if (context) {
      const settled = operation.then(ignore, ignore);
      context.inflight = context.inflight ? Promise.all([context.inflight, settled]) : settled;
    }
    return operation;
  }

  private async store(
    req: IncomingMessage,
    session: RequestSessionObject,
    dataJson: string,
  ): Promise<void> {
    const { meta } = RequestSessionObject.stateOf(session);
    if (meta?.userId !== undefined && passportLoggedOut(session, meta.userId)) {
      // Passport ended the login: the session ends with it, and the request goes on anonymous.
      await this.destroy(req);
      this.startAnonymous(req, RequestSessionObject.stateOf(session).context);
      return;
    }
    await this.writer.write(req, session, dataJson);
  }

  /** The handle of the request's session (its ID's SHA-256, computed once per session). */
  handleOf(req: IncomingMessage): string | undefined {
    const session = sessionOf(req);
    return session && handleOf(RequestSessionObject.stateOf(session));
  }

  cookieSettings(req: IncomingMessage, _state: SessionState): SessionCookieSettings {
    const { secure } = requireContext(req);
    return this.parts.policy.settings(secure);
  }
}

function newSessionId(): string {
  // 192 bits, as express-session's uid(24).
  return randomBytes(24).toString('base64url');
}

function ignore(): void {}

function isEmpty(session: object): boolean {
  for (const _key in session) return false;
  return true;
}
