/** What the module records about a session. Times are epoch milliseconds. */
export interface SessionMetadata {
  createdAt: number;
  lastActivityAt: number;
  /** The user the session is bound to by a login (`SessionService.login()` or Passport's). */
  userId?: string;
  /** Client address at login (`req.ip`, so it honours `trust proxy`). */
  ip?: string;
  /** User-Agent at login, at most 256 characters. */
  userAgent?: string;
  /**
   * When the user last proved who they are (epoch ms): the login, or the latest
   * `SessionService.reauthenticate()`. Set on every logged-in session.
   */
  authenticatedAt?: number;
}

/**
 * The data your app keeps in a session. Extend it by declaration merging:
 *
 * ```ts
 * declare module 'nestjs-secure-session' {
 *   interface SessionData { user: { id: string }; cart: string[] }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SessionData {}

/**
 * A session as `SessionService.sessionOf()` reads it for a request the module does not handle
 * itself (a WebSocket handshake): read only. `id` is the opaque handle `list()` shows.
 */
export interface SessionSnapshot extends SessionMetadata {
  id: string;
  data: Partial<SessionData>;
}

/** `req.session.cookie`: the cookie's settings as express-session shows them. */
export interface SessionCookieSettings {
  path: string;
  domain?: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'lax' | 'strict' | 'none';
  /** Set it (milliseconds) to make the cookie persistent when it is next sent. */
  maxAge?: number;
  readonly originalMaxAge: number | null;
}

type Callback = (err?: unknown) => void;

/**
 * `req.session`'s own members, express-session's documented Session API, each with the module's
 * semantics: `regenerate` gives a new ID and retires the old one (it is denylisted once the new
 * one is saved), `destroy` revokes the session and clears the cookie, `save` writes now (it is
 * otherwise written, when changed, before the response is sent).
 */
export interface SessionMembers {
  /** The session ID. It is a secret: never log or show it (`SessionService.info()` gives a handle). */
  readonly id: string;
  readonly cookie: SessionCookieSettings;
  /** Owned by the module: creation, last activity and the bound user; `undefined` until stored. */
  readonly meta: SessionMetadata | undefined;
  regenerate(callback: Callback): this;
  destroy(callback?: Callback): this;
  reload(callback: Callback): this;
  save(callback?: Callback): this;
  touch(): this;
  resetMaxAge(): this;
}

/** The session object on a request: your `SessionData` fields plus the session's members. */
export type RequestSession = SessionMembers & Partial<SessionData>;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The request's session (express-session's API). On a route without session handling, or
       * while the store cannot be read, an empty one whose methods answer why (401 or 503).
       */
      session: RequestSession;
      /** The session ID (a secret: never log it). */
      sessionID: string;
    }
  }
}
