import type { SessionData } from './session-data.interface.js';

/** What an app may show about the current session. `id` is an opaque handle, never the session ID. */
export interface SessionInfo {
  id: string;
  createdAt: number;
  lastActivityAt: number;
  /**
   * When the user last proved who they are (epoch ms): the login, or the latest
   * `reauthenticate()`; absent on an anonymous session.
   */
  authenticatedAt?: number;
}

/** One of a user's live sessions, as `list()` returns it. */
export interface SessionListing extends SessionInfo {
  authenticatedAt: number;
  /** Client address at login; `null` when unknown. */
  ip: string | null;
  /** User-Agent at login; `null` when unknown. */
  userAgent: string | null;
  /** Whether it is the session of the request passed to `list()`. */
  current: boolean;
}

/** Options of `SessionService.regenerate()`. */
export interface RegenerateOptions {
  /** Session keys carried over into the new session (e.g. `['cart']`); nothing else is. */
  keep?: (keyof SessionData)[];
}

/** Options of `SessionService.login()`. */
export interface LoginOptions<
  K extends keyof SessionData = keyof SessionData,
> extends RegenerateOptions {
  /** Data to put in the new session, written together with the login. */
  data?: Partial<Pick<SessionData, K>>;
}
