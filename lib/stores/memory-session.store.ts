import { Store, type SessionData } from 'express-session';

interface StoredSession {
  json: string;
  expiresAt: number;
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

const SWEEP_INTERVAL_MS = 60_000;

/**
 * The embedded store for development, tests and single-process apps: sessions expire after
 * `ttlMs` of inactivity (or at the cookie's `expires`), and expired ones are swept, so it does
 * not grow without bound as express-session's MemoryStore does. Not shared between processes.
 */
export class MemorySessionStore extends Store {
  private readonly sessions = new Map<string, StoredSession>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly ttlMs: number) {
    super();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    const stored = this.sessions.get(sid);
    if (!stored || stored.expiresAt <= Date.now()) {
      this.sessions.delete(sid);
      return defer(callback, undefined, null);
    }
    defer(callback, undefined, JSON.parse(stored.json) as SessionData);
  }

  override set(sid: string, session: SessionData, callback?: Callback): void {
    this.sessions.set(sid, { json: JSON.stringify(session), expiresAt: this.expiryOf(session) });
    defer(callback);
  }

  override touch(sid: string, session: SessionData, callback?: Callback): void {
    const stored = this.sessions.get(sid);
    if (stored) stored.expiresAt = this.expiryOf(session);
    defer(callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    this.sessions.delete(sid);
    defer(callback);
  }

  override clear(callback?: Callback): void {
    this.sessions.clear();
    defer(callback);
  }

  override length(callback: Callback<number>): void {
    this.sweep();
    defer(callback, undefined, this.sessions.size);
  }

  /** Stops the expiry sweeper; called on application shutdown. */
  close(): void {
    clearInterval(this.sweeper);
  }

  private expiryOf(session: SessionData): number {
    const expires = session.cookie?.expires;
    return expires ? new Date(expires).getTime() : Date.now() + this.ttlMs;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [sid, stored] of this.sessions) {
      if (stored.expiresAt <= now) this.sessions.delete(sid);
    }
  }
}

// Callbacks run asynchronously, as they would with a networked store.
function defer<T>(callback: Callback<T> | undefined, err?: unknown, value?: T): void {
  if (callback) setImmediate(callback, err, value);
}
