import type { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { SessionMetadata } from '../session-data.interface.js';
import { SessionRevokedException } from '../session.errors.js';
import type { SessionRecordCodec, StoredSession } from './session-record.codec.js';
import type { SessionStore } from './session-store.interface.js';

/** @internal Why a session cookie brought no session. */
export type MissingReason = 'revoked' | 'unknown' | 'undecryptable';

/** @internal What the store holds for a handle: the session, or why there is none. */
export type LoadedRecord = { session: StoredSession } | { missing: MissingReason };

/**
 * @internal The rules of session records in one place: what a record holds (the codec), how long
 * it is kept (until its deadline plus a grace, see SessionLifetime), that a revoked session is
 * never written again, and how long its tombstone lasts. Every revocation goes through `revoke()`.
 */
export class SessionRecords {
  constructor(
    private readonly store: SessionStore,
    private readonly codec: SessionRecordCodec,
    private readonly lifetime: SessionLifetime,
  ) {}

  /** One read; a second one (the tombstone) only when there is no record, to say why. */
  async load(handle: string): Promise<LoadedRecord> {
    const record = await this.store.read(handle);
    if (record === null) {
      return { missing: (await this.isRevoked(handle)) ? 'revoked' : 'unknown' };
    }
    const decoded = this.codec.decode(record, handle);
    if ('failure' in decoded) {
      return { missing: decoded.failure === 'malformed' ? 'unknown' : 'undecryptable' };
    }
    return { session: decoded.value };
  }

  /** Whether the session's tombstone is there: it was revoked (one store command). */
  isRevoked(handle: string): Promise<boolean> {
    return this.store.isRevoked(handle);
  }

  /**
   * Writes the session unless it was revoked meanwhile (resolves false: a write-back refused);
   * SessionRevokedException (401) when it is past its deadline, SessionTooLargeException (413) when its
   * data is over the limit.
   */
  async write(handle: string, meta: SessionMetadata, dataJson: string): Promise<boolean> {
    const now = Date.now();
    const record = this.codec.encode(meta, dataJson, handle);
    if (this.lifetime.expiredBy(meta, now) !== undefined) throw new SessionRevokedException();
    return this.store.writeUnlessRevoked(handle, record, this.lifetime.recordTtl(meta, now));
  }

  /**
   * Deletes the record and leaves a tombstone; resolves whether the record existed. Every
   * instance then hears that the session ended (best effort: its connections are refused at
   * their next message anyway).
   */
  async revoke(handle: string, meta?: SessionMetadata): Promise<boolean> {
    const existed = await this.tombstone(handle, meta);
    void this.announce([handle]);
    return existed;
  }

  /** `revoke()` without the announcement, for work over many sessions (see `announce()`). */
  tombstone(handle: string, meta?: SessionMetadata): Promise<boolean> {
    return this.store.revoke(handle, this.lifetime.tombstoneTtl(meta, Date.now()));
  }

  /** Tells every instance, in one message, that these sessions ended. Never rejects. */
  announce(handles: readonly string[]): Promise<void> {
    return this.store.announceEnded(handles).catch(() => undefined);
  }

  /**
   * Calls `ended` with the handle of every session that ends, on any instance, and `resubscribed`
   * when announcements may have been missed (the store's subscription was lost for a while).
   */
  onEnded(ended: (handle: string) => void, resubscribed: () => void): Promise<void> {
    return this.store.onEnded(ended, resubscribed);
  }

  /** A session's metadata, `undefined` when it is gone or unreadable. */
  async readMetadata(handle: string): Promise<SessionMetadata | undefined> {
    const record = await this.store.read(handle);
    if (!record) return undefined;
    const decoded = this.codec.decode(record, handle);
    return 'value' in decoded ? decoded.value.meta : undefined;
  }
}
