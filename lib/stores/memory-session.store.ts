import { EventEmitter } from 'node:events';
import type { IndexEntry, SessionStore } from './session-store.interface.js';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 60_000;

/** A user's index: handle → added-at, in that order; `newest` is the last one's. */
interface UserIndex {
  entries: Map<string, number>;
  newest: number;
}

/**
 * @internal The embedded store for development, tests and single-process apps, with the same
 * semantics as the Redis store: expiry, tombstones, the per-user index. Expired entries are swept,
 * so it does not grow without bound as express-session's MemoryStore does. Not shared between
 * processes.
 */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory';
  private readonly records = new Map<string, Expiring<Buffer>>();
  private readonly tombstones = new Map<string, Expiring<true>>();
  private readonly indexes = new Map<string, Expiring<UserIndex>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly ended = new EventEmitter();

  constructor() {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** How many sessions are stored, expired ones excluded. */
  get size(): number {
    this.sweep();
    return this.records.size;
  }

  async read(handle: string): Promise<Buffer | null> {
    return live(this.records, handle)?.value ?? null;
  }

  async isRevoked(handle: string): Promise<boolean> {
    return live(this.tombstones, handle) !== undefined;
  }

  async writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number): Promise<boolean> {
    if (live(this.tombstones, handle)) return false;
    this.records.set(handle, { value: record, expiresAt: Date.now() + ttlMs });
    return true;
  }

  async revoke(handle: string, tombstoneTtlMs: number): Promise<boolean> {
    const existed = live(this.records, handle) !== undefined;
    this.records.delete(handle);
    this.tombstones.set(handle, { value: true, expiresAt: Date.now() + tombstoneTtlMs });
    return existed;
  }

  async indexAdd(
    userKey: string,
    { handle, addedAt }: IndexEntry,
    staleBefore: number,
    ttlMs: number,
  ): Promise<number> {
    const expiresAt = Date.now() + ttlMs;
    let index = live(this.indexes, userKey);
    if (!index) {
      index = { value: { entries: new Map(), newest: -Infinity }, expiresAt };
      this.indexes.set(userKey, index);
    }
    const { value } = index;
    // Insertion order is the index's order, by `addedAt`: a handle added again moves to its new
    // place; one added out of order (a clock stepped back) re-sorts the index.
    value.entries.delete(handle);
    value.entries.set(handle, addedAt);
    if (addedAt >= value.newest) value.newest = addedAt;
    else value.entries = new Map([...value.entries].sort(([, a], [, b]) => a - b));
    for (const [stale, at] of value.entries) {
      if (at >= staleBefore) break;
      value.entries.delete(stale);
    }
    index.expiresAt = Math.max(index.expiresAt, expiresAt);
    return value.entries.size;
  }

  async indexPage(userKey: string, offset: number, count: number): Promise<IndexEntry[]> {
    const page: IndexEntry[] = [];
    let position = 0;
    for (const [handle, addedAt] of live(this.indexes, userKey)?.value.entries ?? []) {
      if (position++ < offset) continue;
      if (page.length === count) break;
      page.push({ handle, addedAt });
    }
    return page;
  }

  async indexRemove(userKey: string, handles: readonly string[]): Promise<void> {
    const index = live(this.indexes, userKey);
    for (const handle of handles) index?.value.entries.delete(handle);
  }

  async announceEnded(handles: readonly string[]): Promise<void> {
    for (const handle of handles) this.ended.emit('ended', handle);
  }

  async onEnded(listener: (handle: string) => void): Promise<void> {
    this.ended.on('ended', listener);
  }

  async isReachable(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const map of [this.records, this.tombstones, this.indexes] as Map<
      string,
      Expiring<unknown>
    >[]) {
      for (const [key, item] of map) if (item.expiresAt <= now) map.delete(key);
    }
  }
}

function live<T>(map: Map<string, Expiring<T>>, key: string): Expiring<T> | undefined {
  const item = map.get(key);
  if (item && item.expiresAt <= Date.now()) {
    map.delete(key);
    return undefined;
  }
  return item;
}
