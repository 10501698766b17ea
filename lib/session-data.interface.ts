import type { Session as ExpressSession } from 'express-session';

/** What the module records about a session. Times are epoch milliseconds. */
export interface SessionMetadata {
  createdAt: number;
  lastActivityAt: number;
  /** The user the session is bound to by `SessionService.login()`. */
  userId?: string;
  /** Client address at login (`req.ip`, so it honours `trust proxy`). */
  ip?: string;
  /** User-Agent at login, at most 256 characters. */
  userAgent?: string;
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
export interface SessionData {
  /** Owned by the module: creation, last activity and the bound user. Do not write it. */
  meta: SessionMetadata;
}

/** The session object on a request: your `SessionData` fields plus express-session's methods. */
export type RequestSession = ExpressSession & Partial<SessionData>;

declare module 'express-session' {
  // Make `req.session` carry the app's SessionData fields.
  interface SessionData extends Partial<import('./session-data.interface.js').SessionData> {}
}
