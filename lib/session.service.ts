import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ResolvedSessionOptions } from './options/resolved-session-options.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from './session.constants.js';
import { errorMessage, SessionStoreUnavailableException } from './session.errors.js';
import type { SessionData } from './session-data.interface.js';
import { sessionHandle } from './session-handle.js';
import { requireSession } from './session-request.js';
import type { ManagedSessionStore, SessionStoreKind } from './stores/session-store.provider.js';

/** What an app may show about a session. `id` is an opaque handle, never the session ID. */
export interface SessionInfo {
  id: string;
  createdAt: number;
  lastActivityAt: number;
}

/** Options of `SessionService.regenerate()`. */
export interface RegenerateOptions {
  /** Session keys carried over into the new session (e.g. `['cart']`); nothing else is. */
  keep?: (keyof SessionData)[];
}

/** Session lifecycle with a promise API: regenerate on login, save, destroy on logout. */
@Injectable()
export class SessionService {
  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    @Inject(SESSION_STORE) private readonly managed: ManagedSessionStore,
  ) {}

  /** Which store holds the sessions. */
  get storeKind(): SessionStoreKind {
    return this.managed.kind;
  }

  /** Resolves true when the store answers within its command timeout. */
  isStoreReachable(): Promise<boolean> {
    return this.managed.isReachable();
  }

  /**
   * Gives the request a new session ID and destroys the old session, carrying over only the
   * keys in `keep`, and saves it. Call it on login and on any privilege change, so an ID an
   * attacker planted (session fixation) never becomes authenticated. Rejects if the store fails.
   */
  async regenerate(req: Request, { keep = [] }: RegenerateOptions = {}): Promise<void> {
    const old = requireSession(req);
    const kept = Object.fromEntries(
      keep.filter((key) => old[key] !== undefined).map((key) => [key, old[key]]),
    );
    await storeCall((done) => old.regenerate(done));
    const now = Date.now();
    Object.assign(requireSession(req), kept, { meta: { createdAt: now, lastActivityAt: now } });
    await this.save(req);
  }

  /** The current session's handle and times, or `undefined` before `regenerate()` stamped it. */
  info(req: Request): SessionInfo | undefined {
    const { meta } = requireSession(req);
    if (!meta) return undefined;
    return { id: sessionHandle(req.sessionID), ...meta };
  }

  /** Writes the session to the store now; rejects if the store fails. */
  save(req: Request): Promise<void> {
    const session = requireSession(req);
    return storeCall((done) => session.save(done));
  }

  /** Deletes the session from the store and tells the browser to drop the cookie. */
  async destroy(req: Request, res: Response): Promise<void> {
    const session = requireSession(req);
    await storeCall((done) => session.destroy(done));
    const secure = req.secure || this.options.cookie.secure === true;
    const name = secure ? this.options.cookieNames.secure : this.options.cookieNames.plain;
    const { path, domain, sameSite, httpOnly } = this.options.cookie;
    res.clearCookie(name, { path, domain, sameSite, httpOnly, secure });
  }
}

const logger = new Logger('SessionService');

// Runs a callback-style store operation; a store failure becomes a 503, its cause is logged.
function storeCall(operation: (done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    operation((err?: unknown) => {
      if (!err) return resolve();
      logger.error(`Session store failed: ${errorMessage(err)}`);
      reject(new SessionStoreUnavailableException());
    }),
  );
}
