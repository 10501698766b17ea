import { createHash } from 'node:crypto';
import type { OnApplicationShutdown } from '@nestjs/common';
import { Store, type SessionData as ExpressSessionData } from 'express-session';
import type { RejectionReason, SessionEvents } from '../events/session-events.js';
import type { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { SessionMetadata } from '../session-data.interface.js';
import { sessionHandle } from '../session-handle.js';
import { SessionRevokedError } from '../session.errors.js';
import type { SessionRecordCodec } from './session-record.codec.js';

/** Which kind of store holds the sessions. */
export type SessionStoreKind = 'redis' | 'memory';

const MAX_PENDING_REJECTIONS = 10_000;

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * @internal An express-session store with a denylist and a per-user index. Sessions are kept
 * under their handle (a SHA-256 of the ID), never the ID. Revoking deletes the record and leaves
 * a tombstone in one atomic step; every write checks the tombstone in the same step, so a request
 * that was in flight during a logout cannot write the session back. Reads are one lookup: a
 * revoked session has no record. The per-user index holds handles only; what a listing shows is
 * read from the (encrypted) records. Subclasses supply the storage primitives, on bytes.
 */
export abstract class RevocableSessionStore extends Store implements OnApplicationShutdown {
  abstract readonly kind: SessionStoreKind;
  // Why the last lookups of these handles found no usable session, until the middleware reports it
  // with the request's address (takeRejection). Bounded: entries nobody takes are dropped.
  private readonly rejections = new Map<string, RejectionReason>();

  constructor(
    protected readonly lifetime: SessionLifetime,
    protected readonly events: SessionEvents,
    protected readonly codec: SessionRecordCodec,
  ) {
    super();
  }

  /** The record, or `undefined` when there is none. */
  protected abstract readRecord(handle: string): Promise<Buffer | undefined>;
  /** Whether a tombstone marks the handle as revoked. */
  protected abstract isRevoked(handle: string): Promise<boolean>;
  /** Writes unless a tombstone exists, atomically. */
  protected abstract writeRecord(handle: string, record: Buffer, ttlMs: number): Promise<boolean>;
  /** The records of several sessions, `undefined` where there is none. */
  protected abstract readRecords(handles: string[]): Promise<(Buffer | undefined)[]>;
  /** Adds a handle to a user's index and extends the index's TTL to cover it. */
  protected abstract addIndexEntry(userKey: string, handle: string, ttlMs: number): Promise<void>;
  /** A user's index: each handle → when it was added (epoch ms). */
  protected abstract readIndexEntries(userKey: string): Promise<Map<string, number>>;
  /** Deletes the record and sets a tombstone, atomically; resolves whether the record existed. */
  abstract revokeRecord(handle: string, tombstoneTtlMs: number): Promise<boolean>;
  protected abstract removeFromIndex(userKey: string, handles: string[]): Promise<void>;
  /** Resolves true when the store answers within its command timeout. */
  abstract isReachable(): Promise<boolean>;
  /** Releases timers and connections the store owns. */
  abstract close(): Promise<void>;

  /** A session kept elsewhere before this module (see `migration`), or `undefined`. */
  protected async readLegacySession(_sid: string): Promise<ExpressSessionData | undefined> {
    return undefined;
  }
  /** Deletes a legacy session once it is stored in the new form. */
  protected async deleteLegacySession(_sid: string): Promise<void> {}

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** The index key part for a user ID: hashed, so no user input reaches a Redis key. */
  userKey(userId: string): string {
    return createHash('sha256').update(userId).digest().subarray(0, 16).toString('base64url');
  }

  /** Adds a logged-in session to its user's index, which then lasts at least as long as it can. */
  async addToIndex(meta: SessionMetadata & { userId: string }, handle: string): Promise<void> {
    const absoluteLeft = meta.createdAt + this.lifetime.absoluteTimeout - Date.now();
    await this.addIndexEntry(this.userKey(meta.userId), handle, absoluteLeft);
  }

  /** The handles of a user's sessions, live or not yet pruned, with when each was added. */
  async readIndex(userId: string): Promise<Map<string, number>> {
    return this.readIndexEntries(this.userKey(userId));
  }

  async removeUserSessions(userId: string, handles: string[]): Promise<void> {
    if (handles.length > 0) await this.removeFromIndex(this.userKey(userId), handles);
  }

  /** The metadata of several sessions, `undefined` where a session is gone or unreadable. */
  async readMetadata(handles: string[]): Promise<(SessionMetadata | undefined)[]> {
    const records = await this.readRecords(handles);
    return records.map((record, i) => {
      if (!record) return undefined;
      const decoded = this.codec.decodeSession(record, handles[i]!);
      return 'value' in decoded ? decoded.value.meta : undefined;
    });
  }

  override get(sid: string, callback: Callback<ExpressSessionData | null>): void {
    settle(this.readSession(sid), callback);
  }

  override set(sid: string, session: ExpressSessionData, callback?: Callback): void {
    settle(this.writeSession(sessionHandle(sid), session), callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    const ttl = this.lifetime.tombstoneTtl(undefined, Date.now());
    settle(
      this.revokeRecord(sessionHandle(sid), ttl).then(() => undefined),
      callback,
    );
  }

  // Renewal is decided by IdleTimeoutInterceptor and written through set(); express-session's
  // touch on every request would be a write per request.
  override touch(_sid: string, _session: ExpressSessionData, callback?: Callback): void {
    callback?.();
  }

  private async readSession(sid: string): Promise<ExpressSessionData | null> {
    const handle = sessionHandle(sid);
    const record = await this.readRecord(handle);
    if (record === undefined) {
      if (await this.isRevoked(handle)) {
        this.reject(handle, 'revoked');
        return null;
      }
      const legacy = await this.readLegacySession(sid);
      if (legacy) return this.migrate(sid, handle, legacy).catch(() => null);
      this.reject(handle, 'unknown');
      return null;
    }
    const decoded = this.codec.decodeSession(record, handle);
    if ('failure' in decoded) {
      const reason = decoded.failure === 'malformed' ? 'unknown' : 'undecryptable';
      this.reject(handle, reason);
      return null;
    }
    return decoded.value;
  }

  private async writeSession(handle: string, session: ExpressSessionData): Promise<void> {
    const now = Date.now();
    // The first write stamps the metadata into the stored copy only: stamping req.session
    // itself would make every new (uninitialized) session look modified and get saved.
    const meta = session.meta ?? { createdAt: now, lastActivityAt: now };
    const ttlMs = this.lifetime.expiresAt(meta) - now;
    if (ttlMs <= 0) {
      await this.revokeRecord(handle, this.lifetime.tombstoneTtl(meta, now));
      return;
    }
    const record = this.codec.encodeSession(session, meta, handle);
    if (!(await this.writeRecord(handle, record, ttlMs))) {
      this.reject(handle, 'write-after-revoke');
      throw new SessionRevokedError();
    }
  }

  private reject(handle: string, reason: RejectionReason): void {
    if (reason === 'write-after-revoke') {
      this.events.emit('rejected', { handle, reason });
      return;
    }
    if (this.rejections.size >= MAX_PENDING_REJECTIONS) this.rejections.clear();
    this.rejections.set(handle, reason);
  }

  /** Why the session ID's last lookup found nothing usable ('unknown' if not recorded). */
  takeRejection(sessionId: string): { handle: string; reason: RejectionReason } {
    const handle = sessionHandle(sessionId);
    const reason = this.rejections.get(handle) ?? 'unknown';
    this.rejections.delete(handle);
    return { handle, reason };
  }

  // Stores a legacy session in the new form (hashed key, encrypted) and deletes the old copy.
  private async migrate(
    sid: string,
    handle: string,
    legacy: ExpressSessionData,
  ): Promise<ExpressSessionData | null> {
    const now = Date.now();
    const userId = this.legacyUserId(legacy);
    const meta = { createdAt: now, lastActivityAt: now, userId };
    // Indexed first, so a revoke-all meanwhile reaches it; a failure (too large, revoked, store
    // down) leaves the legacy session for the next request and reads as no session now.
    if (userId) await this.addToIndex({ ...meta, userId }, handle);
    await this.writeSession(handle, { ...legacy, meta });
    await this.deleteLegacySession(sid);
    return this.readSession(sid);
  }

  /** The user a legacy session belongs to, as `migration.connectRedisUserId` finds it. */
  protected legacyUserId(_legacy: ExpressSessionData): string | undefined {
    return undefined;
  }
}

// Hands a promise's outcome to an express-session callback outside the promise chain, so an
// exception thrown by the callback (express-session going on with the request) is not swallowed
// as a rejection.
function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined): void {
  promise.then(
    (value) => process.nextTick(() => callback?.(undefined, value)),
    (err: unknown) => process.nextTick(() => callback?.(err)),
  );
}
