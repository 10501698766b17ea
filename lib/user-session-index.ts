import { Inject, Injectable } from '@nestjs/common';
import { SessionEvents, type RevocationCause } from './events/session-events.js';
import { SessionLifetime } from './lifetime/session-lifetime.js';
import { SESSION_STORE } from './session.constants.js';
import type { SessionMetadata } from './session-data.interface.js';
import type { RevocableSessionStore, SessionIndexEntry } from './stores/revocable-session.store.js';

/**
 * @internal Each user's set of sessions, kept beside the sessions so that listing and revoking
 * them costs O(that user's sessions), never a scan. Entries are only ever added by login, and
 * removed after the session is already dead, so a session is never out of the index while usable.
 */
@Injectable()
export class UserSessionIndex {
  constructor(
    @Inject(SESSION_STORE) private readonly store: RevocableSessionStore,
    private readonly lifetime: SessionLifetime,
    private readonly events: SessionEvents,
  ) {}

  /** Adds a logged-in session; the index then lives at least as long as it. */
  async add(meta: SessionMetadata & { userId: string }, handle: string): Promise<void> {
    const entry = JSON.stringify(this.store.indexEntry(meta));
    const ttl = this.lifetime.expiresAt(meta) - Date.now();
    await this.store.addToIndex(this.store.userKey(meta.userId), handle, entry, ttl);
  }

  async remove(userId: string, handles: string[]): Promise<void> {
    await this.store.removeFromIndex(this.store.userKey(userId), handles);
  }

  /** Every handle in the user's index, live or not yet pruned. */
  async handles(userId: string): Promise<string[]> {
    return [...(await this.store.readIndex(this.store.userKey(userId))).keys()];
  }

  /** The user's live sessions; entries whose session has ended are pruned on the way. */
  async live(userId: string): Promise<Map<string, SessionIndexEntry>> {
    const index = await this.store.readIndex(this.store.userKey(userId));
    const handles = [...index.keys()];
    const alive = await this.store.recordsExist(handles);
    const dead = handles.filter((_, i) => !alive[i]);
    if (dead.length > 0) await this.remove(userId, dead);
    return new Map(
      handles
        .filter((_, i) => alive[i])
        .map((handle) => [handle, JSON.parse(index.get(handle)!) as SessionIndexEntry]),
    );
  }

  /** Revokes sessions: tombstones first, index last. */
  async revoke(userId: string, handles: string[], cause: RevocationCause): Promise<void> {
    const tombstoneTtl = this.lifetime.tombstoneTtl(undefined, Date.now());
    await Promise.all(handles.map((handle) => this.store.revokeRecord(handle, tombstoneTtl)));
    await this.remove(userId, handles);
    for (const handle of handles) this.events.emit('revoked', { handle, userId, cause });
  }

  /** Revokes the user's oldest sessions beyond `limit`, never `current`. */
  async evictBeyondLimit(userId: string, current: string, limit: number): Promise<void> {
    const others = [...(await this.live(userId))].filter(([handle]) => handle !== current);
    const excess = others.length + 1 - limit;
    if (excess <= 0) return;
    const oldest = others.sort(([, a], [, b]) => a.createdAt - b.createdAt).slice(0, excess);
    await this.revoke(
      userId,
      oldest.map(([handle]) => handle),
      'evicted',
    );
  }
}
