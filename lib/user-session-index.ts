import { createHash } from 'node:crypto';
import type { SessionEvents, RevocationCause } from './events/session-events.js';
import type { SessionLifetime } from './lifetime/session-lifetime.js';
import type { SessionMetadata } from './session-data.interface.js';
import type { SessionRecords } from './stores/session-records.js';
import type { SessionStore } from './stores/session-store.interface.js';

// Longer than any login takes between indexing its session and storing it.
const LOGIN_GRACE_MS = 5 * 60 * 1000;

/** @internal One live session of a user, as the index and its record describe it. */
export interface IndexedSession {
  createdAt: number;
  lastActivityAt: number;
  ip: string | null;
  userAgent: string | null;
}

/**
 * @internal Each user's set of sessions, kept beside the sessions so that listing and revoking
 * them costs O(that user's sessions), never a scan. Entries are added before their session is
 * stored, and removed after the session is already dead, so a session is never out of the index
 * while usable. The index key is a hash of the user ID: no user input reaches a store key.
 */
export class UserSessionIndex {
  constructor(
    private readonly store: SessionStore,
    private readonly records: SessionRecords,
    private readonly lifetime: SessionLifetime,
    private readonly events: SessionEvents,
  ) {}

  /** Adds a logged-in session to its user's index, which then lasts at least as long as it can. */
  async add(handle: string, meta: SessionMetadata & { userId: string }): Promise<void> {
    const absoluteLeft = meta.createdAt + this.lifetime.absoluteTimeout - Date.now();
    const ttl = absoluteLeft + this.lifetime.grace;
    await this.store.indexAdd(userKey(meta.userId), handle, Date.now(), ttl);
  }

  /** Drops handles of sessions that are already dead. */
  remove(userId: string, handles: string[]): Promise<void> {
    return this.store.indexRemove(userKey(userId), handles);
  }

  /** Every handle in the user's index, live or not yet pruned. */
  async handles(userId: string): Promise<string[]> {
    return [...(await this.store.indexRead(userKey(userId))).keys()];
  }

  /** The user's live sessions; entries whose session has ended are pruned on the way. */
  async live(userId: string): Promise<Map<string, IndexedSession>> {
    const index = await this.store.indexRead(userKey(userId));
    const handles = [...index.keys()];
    const metadata = await this.records.readMetadata(handles);
    const live = new Map<string, IndexedSession>();
    const dead: string[] = [];
    const now = Date.now();
    handles.forEach((handle, i) => {
      const meta = metadata[i];
      if (meta?.userId === userId && this.lifetime.expiredBy(meta, now) === undefined) {
        const { createdAt, lastActivityAt, ip = null, userAgent = null } = meta;
        live.set(handle, { createdAt, lastActivityAt, ip, userAgent });
      } else if (meta || index.get(handle)! < now - LOGIN_GRACE_MS) {
        // A login indexes its session just before storing it: a fresh entry without a record
        // yet is a login in progress, not a dead session.
        dead.push(handle);
      }
    });
    if (dead.length > 0) await this.remove(userId, dead);
    return live;
  }

  /** Revokes sessions of the user: tombstones first, index last. */
  async revoke(userId: string, handles: string[], cause: RevocationCause): Promise<void> {
    await Promise.all(handles.map((handle) => this.records.revoke(handle)));
    if (handles.length > 0) await this.remove(userId, handles);
    for (const handle of handles) this.events.emit('revoked', { handle, userId, cause });
  }

  /**
   * Revokes the user's oldest live sessions beyond `limit` and resolves their handles. Sessions
   * are ranked by creation time (then handle), the new one included, so logins racing each other
   * agree on which survive.
   */
  async evictBeyondLimit(userId: string, limit: number): Promise<string[]> {
    const newestFirst = [...(await this.live(userId))].sort(
      ([ha, a], [hb, b]) => b.createdAt - a.createdAt || (hb < ha ? -1 : 1),
    );
    const evicted = newestFirst.slice(limit).map(([handle]) => handle);
    if (evicted.length > 0) await this.revoke(userId, evicted, 'evicted');
    return evicted;
  }
}

function userKey(userId: string): string {
  return createHash('sha256').update(userId).digest().subarray(0, 16).toString('base64url');
}
