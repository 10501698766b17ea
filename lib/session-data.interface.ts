import type { Session as ExpressSession } from 'express-session';

/** What the module records about an authenticated session. Times are epoch milliseconds. */
export interface SessionMetadata {
  createdAt: number;
  lastActivityAt: number;
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
  /** Set by `SessionService.regenerate()`; read by the timeouts. */
  meta: SessionMetadata;
}

/** The session object on a request: your `SessionData` fields plus express-session's methods. */
export type RequestSession = ExpressSession & Partial<SessionData>;

declare module 'express-session' {
  // Make `req.session` carry the app's SessionData fields.
  interface SessionData extends Partial<import('./session-data.interface.js').SessionData> {}
}
