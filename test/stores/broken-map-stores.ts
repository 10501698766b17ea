import type { IndexEntry } from '../../lib/stores/session-store.interface.js';
import { MapSessionStore } from './map-session.store.js';

/** A store that breaks one promise of the contract, and the suite's tests that must catch it. */
export interface BrokenStore {
  name: string;
  Store: typeof MapSessionStore;
  fails: string[];
}

const REFUSED_ONCE_REVOKED =
  'refuses to write a session back once it was revoked, on every instance, and keeps it gone';
const REFUSED_BEFORE_WRITTEN =
  'refuses to write a session that was revoked before it was ever written';
const RACE = 'never lets writes racing a revocation bring the session back (20 rounds)';
const WRITABLE_AFTER_TOMBSTONE = "accepts writes again once the tombstone's TTL has passed";

/** Writes whatever the tombstone says: a request in flight brings a logged-out session back. */
class WritesAfterRevoke extends MapSessionStore {
  override async writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number) {
    this.db.records.set(handle, { record, expiresAt: Date.now() + ttlMs });
    return true;
  }
}

/** Checks the tombstone, then writes a round trip later: two steps, not one atomic write. */
class ChecksThenWrites extends MapSessionStore {
  override async writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number) {
    if (await this.isRevoked(handle)) return false;
    await new Promise((resolve) => setImmediate(resolve));
    this.db.records.set(handle, { record, expiresAt: Date.now() + ttlMs });
    return true;
  }
}

/** Leaves a tombstone only where there was a record (an UPDATE where a row exists). */
class TombstonesOnlyRecords extends MapSessionStore {
  override async revoke(handle: string, tombstoneTtlMs: number) {
    if ((await this.read(handle)) === null) return false;
    return super.revoke(handle, tombstoneTtlMs);
  }
}

/** Serves a record past its TTL (one left for a cleanup job to delete). */
class ServesPastTtl extends MapSessionStore {
  override async read(handle: string) {
    return this.db.records.get(handle)?.record ?? null;
  }
}

/** Sets the index's TTL to the last one given, even when that is shorter. */
class ShortensIndexTtl extends MapSessionStore {
  override async indexAdd(userKey: string, entry: IndexEntry, staleBefore: number, ttl: number) {
    const size = await super.indexAdd(userKey, entry, staleBefore, ttl);
    this.db.indexes.get(userKey)!.expiresAt = Date.now() + ttl;
    return size;
  }
}

/** Sends at most 100 handles per announcement (a message size limit, silently hit). */
class CutsLongAnnouncements extends MapSessionStore {
  override announceEnded(handles: readonly string[]) {
    return super.announceEnded(handles.slice(0, 100));
  }
}

export const BROKEN_STORES: BrokenStore[] = [
  {
    name: 'a store that writes after a revocation',
    Store: WritesAfterRevoke,
    fails: [REFUSED_ONCE_REVOKED, REFUSED_BEFORE_WRITTEN, RACE, WRITABLE_AFTER_TOMBSTONE],
  },
  { name: 'a store that checks, then writes', Store: ChecksThenWrites, fails: [RACE] },
  {
    name: 'a store that leaves a tombstone only where there was a record',
    Store: TombstonesOnlyRecords,
    fails: [REFUSED_BEFORE_WRITTEN, WRITABLE_AFTER_TOMBSTONE],
  },
  {
    name: 'a store that serves a record past its TTL',
    Store: ServesPastTtl,
    fails: [
      'replaces a record written again: the new bytes, with the new TTL, shorter or longer',
      'serves a record until its TTL has passed, and never after',
    ],
  },
  {
    name: "a store that shortens a user's index TTL",
    Store: ShortensIndexTtl,
    fails: [
      "keeps a session in its user's index at least as long as the TTL it was added with, whatever TTL comes later",
    ],
  },
  {
    name: 'a store that cuts long announcements short',
    Store: CutsLongAnnouncements,
    fails: ['delivers an announcement of 1,000 ended sessions whole: every handle, once'],
  },
];
