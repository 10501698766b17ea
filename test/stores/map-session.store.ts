import { EventEmitter } from 'node:events';
import type { IndexEntry, SessionStore } from '../../lib/stores/session-store.interface.js';

/**
 * A "database" of plain Maps that several stores can open, as instances of an app share one
 * database; it answers on a later turn of the event loop, as a database over a socket would.
 */
export class MapDatabase {
  readonly records = new Map<string, { record: Buffer; expiresAt: number }>();
  readonly tombstones = new Map<string, number>();
  readonly indexes = new Map<string, { entries: Map<string, number>; expiresAt: number }>();
  readonly ended = new EventEmitter().setMaxListeners(0);
}

/**
 * A store as a third party would write one for a database of their own, on the interface alone.
 * Each method does its work in one synchronous step once the "database" answers: that step is
 * what a transaction or a script gives a real database (write-unless-revoked cannot interleave
 * with a revocation).
 */
export class MapSessionStore implements SessionStore {
  readonly kind = 'maps';
  private readonly listeners: ((handle: string) => void)[] = [];

  constructor(protected readonly db: MapDatabase) {}

  async read(handle: string): Promise<Buffer | null> {
    await roundTrip();
    const stored = this.db.records.get(handle);
    return stored && stored.expiresAt > Date.now() ? Buffer.from(stored.record) : null;
  }

  async isRevoked(handle: string): Promise<boolean> {
    await roundTrip();
    return (this.db.tombstones.get(handle) ?? 0) > Date.now();
  }

  async writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number): Promise<boolean> {
    await roundTrip();
    if ((this.db.tombstones.get(handle) ?? 0) > Date.now()) return false;
    this.db.records.set(handle, { record: Buffer.from(record), expiresAt: Date.now() + ttlMs });
    return true;
  }

  async revoke(handle: string, tombstoneTtlMs: number): Promise<boolean> {
    await roundTrip();
    const existed = (this.db.records.get(handle)?.expiresAt ?? 0) > Date.now();
    this.db.records.delete(handle);
    this.db.tombstones.set(handle, Date.now() + tombstoneTtlMs);
    return existed;
  }

  async indexAdd(userKey: string, entry: IndexEntry, staleBefore: number, ttlMs: number) {
    await roundTrip();
    const now = Date.now();
    let index = this.db.indexes.get(userKey);
    if (!index || index.expiresAt <= now) {
      this.db.indexes.set(userKey, (index = { entries: new Map(), expiresAt: now }));
    }
    index.entries.set(entry.handle, entry.addedAt);
    for (const [handle, addedAt] of index.entries) {
      if (addedAt < staleBefore) index.entries.delete(handle);
    }
    index.expiresAt = Math.max(index.expiresAt, now + ttlMs);
    return index.entries.size;
  }

  async indexPage(userKey: string, offset: number, count: number): Promise<IndexEntry[]> {
    await roundTrip();
    const index = this.db.indexes.get(userKey);
    if (!index || index.expiresAt <= Date.now()) return [];
    return [...index.entries]
      .map(([handle, addedAt]) => ({ handle, addedAt }))
      .sort((a, b) => a.addedAt - b.addedAt)
      .slice(offset, offset + count);
  }

  async indexRemove(userKey: string, handles: readonly string[]): Promise<void> {
    await roundTrip();
    for (const handle of handles) this.db.indexes.get(userKey)?.entries.delete(handle);
  }

  async announceEnded(handles: readonly string[]): Promise<void> {
    await roundTrip();
    const batch = [...handles];
    setImmediate(() => batch.forEach((handle) => this.db.ended.emit('ended', handle)));
  }

  async onEnded(ended: (handle: string) => void): Promise<void> {
    this.listeners.push(ended);
    this.db.ended.on('ended', ended);
  }

  async isReachable(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    for (const listener of this.listeners.splice(0)) this.db.ended.off('ended', listener);
  }
}

function roundTrip(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
