import { createHash } from 'node:crypto';
import { setImmediate as otherRequestsFirst } from 'node:timers/promises';
import type { SessionEvents, RevocationCause } from './events/session-events.js';
import type { SessionLifetime } from './lifetime/session-lifetime.js';
import type { SessionMetadata } from './session-data.interface.js';
import { SessionStoreUnavailableException } from './session.errors.js';
import { CommandLimiter } from './stores/command-limiter.js';
import type { SessionRecords } from './stores/session-records.js';
import type { SessionStore } from './stores/session-store.interface.js';

// Longer than any login takes between indexing its session and storing it.
const LOGIN_GRACE_MS = 5 * 60 * 1000;
// Sessions handled per step of work over a user's sessions.
const BATCH = 100;
// Store commands that work over users' sessions may have in flight at once, on this instance.
const BULK_COMMANDS_IN_FLIGHT = 32;
// Rounds of a revoke-every that a user's index may take: far more than the largest index
// (maxSessionsPerUser) needs, so only an index that keeps growing meanwhile reaches it.
const MAX_REVOKE_ROUNDS = 1000;

/** @internal One live session of a user, as the index and its record describe it. */
export interface IndexedSession {
  createdAt: number;
  lastActivityAt: number;
  authenticatedAt: number;
  ip: string | null;
  userAgent: string | null;
}

/**
 * @internal Each user's set of sessions, kept beside the sessions so that listing and revoking
 * them costs O(that user's sessions), never a scan. Entries are added before their session is
 * stored, and removed after the session is already dead, so a session is never out of the index
 * while usable. Work over a user's sessions goes in batches of 100 with at most 32 store commands
 * in flight per instance, whatever the index's size, letting other requests run between batches
 * (a memory store answers without I/O); a revoked batch leaves the index at once, so a retry goes
 * on where a failed attempt stopped. The index key is a hash of the user
 * ID: no user input reaches a store key.
 */
export class UserSessionIndex {
  private readonly limiter = new CommandLimiter(BULK_COMMANDS_IN_FLIGHT);

  constructor(
    private readonly store: SessionStore,
    private readonly records: SessionRecords,
    private readonly lifetime: SessionLifetime,
    private readonly events: SessionEvents,
  ) {}

  /**
   * Adds a logged-in session to its user's index, which then lasts at least as long as it can;
   * entries added longer ago than the absolute timeout (their sessions are dead, whatever they
   * were) are dropped in the same step. Resolves how many entries the index holds.
   */
  add(handle: string, meta: SessionMetadata & { userId: string }): Promise<number> {
    const now = Date.now();
    const { absoluteTimeout, grace } = this.lifetime;
    const ttl = meta.createdAt + absoluteTimeout - now + grace;
    const staleBefore = now - absoluteTimeout - grace;
    return this.store.indexAdd(userKey(meta.userId), { handle, addedAt: now }, staleBefore, ttl);
  }

  /** Drops handles of sessions that are already dead. */
  async remove(userId: string, handles: readonly string[]): Promise<void> {
    for (const batch of batches(handles)) await this.store.indexRemove(userKey(userId), batch);
  }

  /** Whether `handle` is a live session of the user (read from its record, not the index). */
  async owns(userId: string, handle: string): Promise<boolean> {
    const meta = await this.records.readMetadata(handle);
    return meta?.userId === userId && this.lifetime.expiredBy(meta, Date.now()) === undefined;
  }

  /** The user's live sessions; entries whose session has ended are pruned on the way. */
  async live(userId: string): Promise<Map<string, IndexedSession>> {
    const key = userKey(userId);
    const live = new Map<string, IndexedSession>();
    const dead: string[] = [];
    for (let offset = 0; ; offset += BATCH) {
      const page = await this.store.indexPage(key, offset, BATCH);
      const metadata = await this.limiter.map(page, ({ handle }) =>
        this.records.readMetadata(handle),
      );
      const now = Date.now();
      page.forEach(({ handle, addedAt }, i) => {
        const meta = metadata[i];
        if (meta?.userId === userId && this.lifetime.expiredBy(meta, now) === undefined) {
          const { createdAt, lastActivityAt, ip = null, userAgent = null } = meta;
          const authenticatedAt = meta.authenticatedAt ?? createdAt;
          live.set(handle, { createdAt, lastActivityAt, authenticatedAt, ip, userAgent });
        } else if (meta || addedAt < now - LOGIN_GRACE_MS) {
          // A login indexes its session just before storing it: a fresh entry without a record
          // yet is a login in progress, not a dead session.
          dead.push(handle);
        }
      });
      if (page.length < BATCH) break;
      await otherRequestsFirst();
    }
    await this.remove(userId, dead);
    return live;
  }

  /** Revokes sessions of the user, a batch at a time: tombstones first, index last. */
  async revoke(userId: string, handles: readonly string[], cause: RevocationCause): Promise<void> {
    for (const batch of batches(handles)) {
      await this.limiter.map(batch, (handle) => this.records.tombstone(handle));
      await this.records.announce(batch);
      await this.store.indexRemove(userKey(userId), batch);
      for (const handle of batch) this.events.emit('revoked', { handle, userId, cause });
      await otherRequestsFirst();
    }
  }

  /**
   * Revokes every session in the user's index but `except`, and resolves how many. The index is
   * read again until it holds nothing else, so a login that indexed its session while this ran
   * (and so may have answered before it) is revoked too: every login that completed before this
   * resolves is dead.
   */
  async revokeEvery(userId: string, cause: RevocationCause, except?: string): Promise<number> {
    const key = userKey(userId);
    let revoked = 0;
    for (let round = 0; round < MAX_REVOKE_ROUNDS; round++) {
      const page = await this.store.indexPage(key, 0, BATCH + 1);
      const handles = page.map(({ handle }) => handle).filter((handle) => handle !== except);
      if (handles.length === 0) return revoked;
      await this.revoke(userId, handles, cause);
      revoked += handles.length;
    }
    throw new SessionStoreUnavailableException();
  }

  /**
   * With more than `limit` entries in the index (`size`, as `add()` resolved it), revokes the
   * user's oldest live sessions beyond `limit` and resolves their handles. An index of up to 100
   * entries is read whole, dead entries pruned first, so they never cost a live session its
   * place; sessions are ranked by creation time (then handle), the new one included, so logins
   * racing each other agree on which survive. A larger index is read only at its oldest entries
   * beyond the limit, so a login costs in proportion to the excess, not to the limit.
   */
  async evictBeyondLimit(userId: string, limit: number, size: number): Promise<string[]> {
    if (size <= limit) return [];
    if (size > BATCH) return this.evictOldest(userId, Math.min(size - limit, BATCH));
    const newestFirst = [...(await this.live(userId))].sort(
      ([ha, a], [hb, b]) => b.createdAt - a.createdAt || (hb < ha ? -1 : 1),
    );
    const evicted = newestFirst.slice(limit).map(([handle]) => handle);
    if (evicted.length > 0) await this.revoke(userId, evicted, 'evicted');
    return evicted;
  }

  // The `count` oldest entries: the dead leave the index, the live are revoked.
  private async evictOldest(userId: string, count: number): Promise<string[]> {
    const oldest = await this.store.indexPage(userKey(userId), 0, count);
    const metadata = await this.limiter.map(oldest, ({ handle }) =>
      this.records.readMetadata(handle),
    );
    const now = Date.now();
    const live: string[] = [];
    const dead: string[] = [];
    oldest.forEach(({ handle, addedAt }, i) => {
      const meta = metadata[i];
      if (meta?.userId === userId && this.lifetime.expiredBy(meta, now) === undefined) {
        live.push(handle);
      } else if (meta || addedAt < now - LOGIN_GRACE_MS) {
        dead.push(handle);
      }
    });
    await this.remove(userId, dead);
    if (live.length > 0) await this.revoke(userId, live, 'evicted');
    return live;
  }
}

function userKey(userId: string): string {
  return createHash('sha256').update(userId).digest().subarray(0, 16).toString('base64url');
}

function batches<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) result.push(items.slice(i, i + BATCH));
  return result;
}
