import { Inject, Injectable } from '@nestjs/common';
import { SessionEvents, type RevocationCause } from './events/session-events.js';
import { SessionLifetime } from './lifetime/session-lifetime.js';
import { SESSION_STORE } from './session.constants.js';
import type { RevocableSessionStore } from './stores/revocable-session.store.js';

// Longer than any login takes between indexing its session and storing it.
const LOGIN_GRACE_MS = 5 * 60 * 1000;

/** @internal One live session of a user, as the index and its record describe it. */
export interface IndexedSession {
  createdAt: number;
  lastActivityAt: number;
  ip?: string;
  userAgent?: string;
}

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

  /** Every handle in the user's index, live or not yet pruned. */
  async handles(userId: string): Promise<string[]> {
    return [...(await this.store.readIndex(userId)).keys()];
  }

  /** The user's live sessions; entries whose session has ended are pruned on the way. */
  async live(userId: string): Promise<Map<string, IndexedSession>> {
    const index = await this.store.readIndex(userId);
    const handles = [...index.keys()];
    const metadata = await this.store.readMetadata(handles);
    const live = new Map<string, IndexedSession>();
    const dead: string[] = [];
    const settledBefore = Date.now() - LOGIN_GRACE_MS;
    handles.forEach((handle, i) => {
      const meta = metadata[i];
      if (meta?.userId === userId) {
        const { createdAt, lastActivityAt, ip, userAgent } = meta;
        live.set(handle, { createdAt, lastActivityAt, ip, userAgent });
      } else if (meta || index.get(handle)! < settledBefore) {
        // A login indexes its session just before storing it: a fresh entry without a record
        // yet is a login in progress, not a dead session.
        dead.push(handle);
      }
    });
    await this.store.removeUserSessions(userId, dead);
    return live;
  }

  /** Revokes sessions: tombstones first, index last. */
  async revoke(userId: string, handles: string[], cause: RevocationCause): Promise<void> {
    const tombstoneTtl = this.lifetime.tombstoneTtl(undefined, Date.now());
    await Promise.all(handles.map((handle) => this.store.revokeRecord(handle, tombstoneTtl)));
    await this.store.removeUserSessions(userId, handles);
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
