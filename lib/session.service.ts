import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { sessionOf } from './engine/request-session-slot.js';
import { SessionEngine } from './engine/session-engine.js';
import type { SessionData, SessionSnapshot } from './session-data.interface.js';
import type {
  LoginOptions,
  RegenerateOptions,
  SessionInfo,
  SessionListing,
} from './session-service.interfaces.js';
import { SessionRequiredException } from './session.errors.js';
import { requireSession } from './session-access.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from './session.constants.js';
import { openingSessionOf } from './engine/handshake-requests.js';
import { passportLoggedOut } from './engine/passport-login.js';
import { isSameOriginHandshake } from './guards/handshake-origin.js';
import type { ResolvedSessionOptions } from './options/resolved-session-options.js';
import type { SessionStore, SessionStoreKind } from './stores/session-store.interface.js';
import { UserSessionIndex } from './user-session-index.js';
import { CsrfTokens } from './csrf/csrf-tokens.js';
import { csrfBindingOf, issueCsrfBinding } from './engine/csrf-binding.js';
import { nodeRequestOf, type SessionRequest } from './session-request.js';

const HANDLE = /^[\w-]{22}$/;
const MAX_USER_ID_LENGTH = 256;

/**
 * The session lifecycle, with a promise API: login and logout, regenerate, and the user's
 * sessions — list, revoke one, revoke all, revoke the others. Store failures reject with a 503.
 * Requests are any platform's: Express's `Request`, Fastify's `FastifyRequest`, or Node's own.
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly engine: SessionEngine,
    private readonly index: UserSessionIndex,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
  ) {
    this.csrf = new CsrfTokens(options.secrets);
  }

  private readonly csrf: CsrfTokens;

  /** Which store holds the sessions. */
  get storeKind(): SessionStoreKind {
    return this.store.kind;
  }

  /** Resolves true when the store answers within its command timeout. */
  isStoreReachable(): Promise<boolean> {
    return this.store.isReachable();
  }

  /**
   * Logs the request in as `userId`, with one session write: a new session ID (so an ID planted
   * before login never becomes authenticated), bound to the user with creation time, IP and user
   * agent, indexed, carrying over the `keep` keys — only from an anonymous session or one of the
   * same user, never another user's — and `data`. The old session is revoked once the new one is
   * stored; if the login cannot complete (store down, data too large, cookie not deliverable) it
   * rejects and the old session stays exactly as it was. With `maxSessionsPerUser`, the user's
   * oldest sessions beyond the limit are revoked.
   */
  async login<K extends keyof SessionData>(
    request: SessionRequest,
    userId: string | number,
    { keep = [], data }: LoginOptions<K> = {},
  ): Promise<void> {
    const req = nodeRequestOf(request);
    const id = checkedUserId(userId);
    const previousUser = requireSession(req)?.meta?.userId;
    const sameUser = previousUser === undefined || previousUser === id;
    this.engine.regenerate(req, { keep: sameUser ? (keep as string[]) : [] });
    const session = sessionOf(req)!;
    if (data) Object.assign(session, data);
    this.engine.bindLogin(req, session, id);
    await this.engine.save(req);
  }

  /**
   * Gives the request a new session ID, carrying over only the keys in `keep`, and stores it; the
   * old ID is revoked once the new one is stored. A logged-in session stays logged in (same user,
   * same absolute deadline). Use it on privilege changes. Rejects if the store fails, leaving the
   * old session as it was.
   */
  async regenerate(request: SessionRequest, { keep = [] }: RegenerateOptions = {}): Promise<void> {
    const req = nodeRequestOf(request);
    this.engine.regenerate(req, { keep: keep as string[], keepLogin: true });
    await this.engine.save(req);
  }

  /**
   * Records that the logged-in user just proved who they are again — call it once your app has
   * checked their password (or second factor) — for `@RecentLogin()`: the session gets a new ID
   * (the old one is revoked once the new one is stored, as ASVS 7.2.4 asks) and keeps all its data,
   * its user and its absolute deadline; `authenticatedAt` becomes now. 401 without a logged-in
   * session; rejects if the store fails, leaving the old session as it was.
   */
  async reauthenticate(request: SessionRequest): Promise<void> {
    const req = nodeRequestOf(request);
    const session = requireSession(req);
    if (!session?.meta?.userId) throw new SessionRequiredException();
    this.engine.regenerate(req, { keep: Object.keys(session), keepLogin: true });
    this.engine.markAuthenticated(req);
    await this.engine.save(req);
  }

  /**
   * A CSRF token for the request's session, to put in each form (`<input type="hidden"
   * name="_csrf">`) or send as the `x-csrf-token` header; `CsrfTokenGuard` checks it. Bound to
   * the session ID and the cookie secret, so it stores nothing (an anonymous visitor gets the
   * session cookie, nothing written) and is refused for any other session — another user's, a
   * logged-out one, the one before a login. Masked afresh on every call (BREACH).
   */
  csrfToken(request: SessionRequest): string {
    const req = nodeRequestOf(request);
    return this.csrf.issue(issueCsrfBinding(req, this.engine.cookies));
  }

  /** Whether `token` is a CSRF token of the request's session (what `CsrfTokenGuard` checks). */
  verifyCsrfToken(request: SessionRequest, token: unknown): boolean {
    const bound = csrfBindingOf(nodeRequestOf(request));
    return bound !== undefined && this.csrf.verify(bound, token);
  }

  /** Writes the session to the store now. Rejects with 503 if the store fails, 401 if revoked. */
  save(req: SessionRequest): Promise<void> {
    return this.engine.save(nodeRequestOf(req));
  }

  /**
   * The session the cookie of any Node request names, read from the store now, read only: for
   * requests the module does not handle itself, such as a WebSocket handshake (`client.request`
   * in socket.io; the request `handleConnection` gets with `ws`). `undefined` when it has none —
   * absent, forged, logged out, revoked or expired (an expired one is ended, as on a request).
   * Rejects with a 503 when the store fails.
   */
  sessionOf(req: SessionRequest): Promise<SessionSnapshot | undefined> {
    return this.engine.reader.inspect(nodeRequestOf(req));
  }

  /**
   * Whether a WebSocket connection may open, decided once when it opens (Nest runs guards per
   * message, not then): its handshake must come from this app's origin or `allowedOrigins`
   * (cross-site WebSocket hijacking) and its cookie must name a logged-in session, read from the
   * store now — not expired, logged out, revoked or ended by Passport. Resolves that session, or
   * `undefined` to refuse. Never rejects (a store failure refuses): Nest does not await
   * `handleConnection`, so a rejection there would be unhandled.
   */
  async acceptConnection(handshake: IncomingMessage): Promise<SessionSnapshot | undefined> {
    if (!isSameOriginHandshake(handshake, this.options.allowedOrigins)) return undefined;
    // Opening a connection is activity: the session is renewed when due. The read made when
    // the upgrade arrived is used when there was one.
    const readNow = () => this.engine.reader.inspect(handshake, { renew: true });
    const session = await openingSessionOf(handshake, readNow).catch(() => undefined);
    if (session?.userId === undefined || passportLoggedOut(session.data, session.userId)) {
      return undefined;
    }
    return session;
  }

  /** The current session's handle and times, or `undefined` for a session never saved. */
  info(request: SessionRequest): SessionInfo | undefined {
    const req = nodeRequestOf(request);
    const session = requireSession(req);
    const meta = session?.meta;
    if (!meta) return undefined;
    const info: SessionInfo = {
      id: this.engine.handleOf(req)!,
      createdAt: meta.createdAt,
      lastActivityAt: meta.lastActivityAt,
    };
    if (meta.authenticatedAt !== undefined) info.authenticatedAt = meta.authenticatedAt;
    return info;
  }

  /**
   * Logs out: deletes the session, puts its ID on the denylist (so neither a replayed cookie nor
   * a request still in flight can use or write it back), and clears the cookie. `res` is not
   * needed (the cookie is cleared on the response the module sends) and kept for compatibility.
   */
  destroy(req: SessionRequest, _res?: object): Promise<void> {
    return this.engine.destroy(nodeRequestOf(req));
  }

  /** Same as `destroy()`: reads naturally in an auth controller. */
  logout(req: SessionRequest, res?: object): Promise<void> {
    return this.destroy(req, res);
  }

  /**
   * The user's live sessions, newest first; every field is present (`ip` and `userAgent` are
   * `null` when unknown). Costs O(that user's sessions), never a scan.
   */
  async list(userId: string | number, req?: SessionRequest): Promise<SessionListing[]> {
    const current = req && this.engine.handleOf(nodeRequestOf(req));
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
    if (!(await this.index.owns(id, handle))) return false;
    await this.index.revoke(id, [handle], 'revoke');
    return true;
  }

  /** Revokes every session of the user ("sign out everywhere"); resolves how many. */
  async revokeAll(userId: string | number): Promise<number> {
    return this.index.revokeEvery(checkedUserId(userId), 'revoke-all');
  }

  /** Revokes every session of the request's user except the request's own; resolves how many. */
  async revokeOthers(request: SessionRequest): Promise<number> {
    const req = nodeRequestOf(request);
    const session = requireSession(req);
    const userId = session?.meta?.userId;
    if (!session || !userId) throw new SessionRequiredException();
    return this.index.revokeEvery(userId, 'revoke-others', this.engine.handleOf(req));
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
