import { createHash } from 'node:crypto';
import { Store, type SessionData as ExpressSessionData } from 'express-session';
import type { SessionEvents } from '../events/session-events.js';
import type { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { SessionMetadata } from '../session-data.interface.js';
import { sessionHandle } from '../session-handle.js';
import { SessionRevokedError } from '../session.errors.js';
import { parseSessionRecord } from './parse-session-record.js';

/** Which kind of store holds the sessions. */
export type SessionStoreKind = 'redis' | 'memory';

/** @internal What the per-user index keeps about one session. */
export interface SessionIndexEntry {
  createdAt: number;
  lastActivityAt: number;
  expiresAt: number;
  ip?: string;
  userAgent?: string;
}

/** @internal Index change that travels with a record write. */
export interface IndexUpdate {
  userKey: string;
  entry: string;
  ttlMs: number;
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * @internal An express-session store with a denylist and a per-user index. Sessions are kept
 * under their handle (a SHA-256 of the ID), never the ID. Revoking deletes the record and leaves
 * a tombstone in one atomic step; every write checks the tombstone in the same step, so a request
 * that was in flight during a logout cannot write the session back. Reads are one lookup: a
 * revoked session has no record. Subclasses supply the storage primitives.
 */
export abstract class RevocableSessionStore extends Store {
  abstract readonly kind: SessionStoreKind;

  constructor(
    protected readonly lifetime: SessionLifetime,
    protected readonly events: SessionEvents,
  ) {
    super();
  }

  /** The record, or `undefined` when there is none. */
  protected abstract readRecord(handle: string): Promise<string | undefined>;
  /** Whether a tombstone marks the handle as revoked. */
  protected abstract isRevoked(handle: string): Promise<boolean>;
  /** Writes unless a tombstone exists (atomically); updates an existing index entry. */
  protected abstract writeRecord(
    handle: string,
    record: string,
    ttlMs: number,
    index?: IndexUpdate,
  ): Promise<boolean>;
  /** Deletes the record and sets a tombstone, atomically. */
  abstract revokeRecord(handle: string, tombstoneTtlMs: number): Promise<void>;
  /** Whether a record exists for each handle. */
  abstract recordsExist(handles: string[]): Promise<boolean[]>;
  /** Adds (or replaces) a user's index entry and extends the index's TTL to cover it. */
  abstract addToIndex(userKey: string, handle: string, entry: string, ttlMs: number): Promise<void>;
  abstract removeFromIndex(userKey: string, handles: string[]): Promise<void>;
  /** The user's index: handle → entry JSON. */
  abstract readIndex(userKey: string): Promise<Map<string, string>>;
  /** Resolves true when the store answers within its command timeout. */
  abstract isReachable(): Promise<boolean>;
  /** Releases timers and connections the store owns. */
  abstract close(): Promise<void>;

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** The index key part for a user ID: hashed, so no user input reaches a Redis key. */
  userKey(userId: string): string {
    return createHash('sha256').update(userId).digest('base64url');
  }

  indexEntry(meta: SessionMetadata): SessionIndexEntry {
    const { createdAt, lastActivityAt, ip, userAgent } = meta;
    return { createdAt, lastActivityAt, expiresAt: this.lifetime.expiresAt(meta), ip, userAgent };
  }

  override get(sid: string, callback: Callback<ExpressSessionData | null>): void {
    const handle = sessionHandle(sid);
    this.readSession(handle).then((session) => callback(undefined, session), callback);
  }

  override set(sid: string, session: ExpressSessionData, callback?: Callback): void {
    this.writeSession(sessionHandle(sid), session).then(
      () => callback?.(),
      (err) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: Callback): void {
    const handle = sessionHandle(sid);
    this.revokeRecord(handle, this.lifetime.tombstoneTtl(undefined, Date.now())).then(
      () => callback?.(),
      (err) => callback?.(err),
    );
  }

  // Renewal is decided by IdleTimeoutInterceptor and written through set(); express-session's
  // touch on every request would be a write per request.
  override touch(_sid: string, _session: ExpressSessionData, callback?: Callback): void {
    callback?.();
  }

  private async readSession(handle: string): Promise<ExpressSessionData | null> {
    const record = await this.readRecord(handle);
    if (record === undefined) {
      const reason = (await this.isRevoked(handle)) ? 'revoked' : 'unknown';
      this.events.emit('rejected', { handle, reason });
      return null;
    }
    const session = parseSessionRecord(record);
    if (!session) {
      this.events.emit('rejected', { handle, reason: 'unknown' });
      return null;
    }
    // Every stored session carries meta; one written without it (by an older version) starts now.
    session.meta ??= { createdAt: Date.now(), lastActivityAt: Date.now() };
    return session;
  }

  private async writeSession(handle: string, session: ExpressSessionData): Promise<void> {
    const now = Date.now();
    // The first write stamps the metadata into the stored copy only: stamping req.session
    // itself would make every new (uninitialized) session look modified and get saved.
    const meta = session.meta ?? { createdAt: now, lastActivityAt: now };
    const ttlMs = this.lifetime.expiresAt(meta) - now;
    if (ttlMs <= 0) return this.revokeRecord(handle, this.lifetime.tombstoneTtl(meta, now));
    const index = meta.userId
      ? { userKey: this.userKey(meta.userId), entry: JSON.stringify(this.indexEntry(meta)), ttlMs }
      : undefined;
    const written = await this.writeRecord(
      handle,
      JSON.stringify({ ...session, meta }),
      ttlMs,
      index,
    );
    if (!written) {
      this.events.emit('rejected', { handle, reason: 'write-after-revoke' });
      throw new SessionRevokedError();
    }
  }
}
