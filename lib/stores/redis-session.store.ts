import { Logger } from '@nestjs/common';
import { errorMessage, SessionStoreUnavailableException } from '../session.errors.js';
import { CommandDeadlines } from './command-deadlines.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { RedisScript } from '../redis/redis-script.js';
import type { IndexEntry, LegacySessionSource, SessionStore } from './session-store.interface.js';

// KEYS: record, tombstone. ARGV: record, ttl ms. Refuses to write a revoked session.
const WRITE_UNLESS_REVOKED = new RedisScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

// KEYS: record, tombstone. ARGV: tombstone ttl ms. Returns whether the record existed.
const REVOKE = new RedisScript(`
local existed = redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return existed`);

// A user's index is a sorted set: handle → when it was added. Indexes written as hashes (before
// 0.2) are turned into sorted sets by the first script that touches them, so none is ever missed.
const INDEX_UPGRADE = `
if redis.call('TYPE', KEYS[1]).ok == 'hash' then
  local flat = redis.call('HGETALL', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  redis.call('DEL', KEYS[1])
  for i = 1, #flat, 2 do redis.call('ZADD', KEYS[1], flat[i + 1], flat[i]) end
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
end`;

// KEYS: index. ARGV: handle, added-at ms, stale-before ms, ttl ms. Never shortens the index's TTL.
const INDEX_ADD = new RedisScript(`${INDEX_UPGRADE}
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return redis.call('ZCARD', KEYS[1])`);

// KEYS: index. ARGV: offset, count. Oldest first, as [handle, added-at, ...].
const INDEX_PAGE = new RedisScript(`${INDEX_UPGRADE}
local first = tonumber(ARGV[1])
return redis.call('ZRANGE', KEYS[1], first, first + tonumber(ARGV[2]) - 1, 'WITHSCORES')`);

// KEYS: index. ARGV: handles.
const INDEX_REMOVE = new RedisScript(`${INDEX_UPGRADE}
return redis.call('ZREM', KEYS[1], unpack(ARGV))`);

// A healthy replica confirms within a millisecond or so. WAIT holds every other command sent
// over the same connection until it returns, so it must not wait long for a replica that is gone.
const MAX_WAIT_MS = 100;

/** @internal Where and how the Redis store keeps sessions. */
export interface RedisStoreSettings {
  connection: RedisConnection;
  prefix: string;
  /** Whether the module created the client (and so closes it). */
  owned: boolean;
  commandTimeout: number;
  /** Replicas that must confirm a revocation before it is acknowledged (WAIT), 0 for none. */
  revocationReplicas: number;
  /** connect-redis's key prefix, when its sessions are moved over on first use. */
  connectRedisPrefix?: string;
}

/**
 * @internal Sessions in Redis. Key layout, every key under `prefix`, hash tags for Redis Cluster:
 * - `s:{<handle>}`: the session record;
 * - `s:{<handle>}:revoked`: the tombstone (denylist entry); same slot as the record, so
 *   write-unless-revoked is one atomic script;
 * - `u:{<user key>}`: the handles of the user's sessions, a sorted set by when each was added.
 * Every exchange is bounded by `commandTimeout`; any failure becomes a 503 for the caller (the
 * cause is logged).
 */
export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis';
  readonly legacySessions?: LegacySessionSource;
  private readonly logger = new Logger('SessionModule');
  private readonly connection: RedisConnection;
  private readonly deadlines: CommandDeadlines;

  constructor(private readonly settings: RedisStoreSettings) {
    this.connection = settings.connection;
    this.deadlines = new CommandDeadlines(
      settings.commandTimeout,
      this.connection.queuesUnsent,
      (err) => this.failed(err),
    );
    const legacyPrefix = settings.connectRedisPrefix;
    if (legacyPrefix !== undefined) {
      // connect-redis keeps `<prefix><session ID>` → the express-session JSON.
      this.legacySessions = {
        read: async (id) => (await this.getBytes(legacyPrefix + id))?.toString() ?? null,
        remove: (id) => this.deleteKey(legacyPrefix + id),
      };
    }
  }

  read(handle: string): Promise<Buffer | null> {
    return this.getBytes(this.recordKey(handle));
  }

  async isRevoked(handle: string): Promise<boolean> {
    const key = this.tombstoneKey(handle);
    return (
      (await this.bounded((signal) => this.connection.send(key, ['EXISTS', key], signal))) === 1
    );
  }

  async writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number): Promise<boolean> {
    const keys = [this.recordKey(handle), this.tombstoneKey(handle)];
    const written = await this.bounded((signal) =>
      WRITE_UNLESS_REVOKED.run(this.connection, keys, [record, ttlMs], signal),
    );
    return written === 1;
  }

  async revoke(handle: string, tombstoneTtlMs: number): Promise<boolean> {
    const keys = [this.recordKey(handle), this.tombstoneKey(handle)];
    const existed = await this.bounded(async (signal) => {
      const existed = await REVOKE.run(this.connection, keys, [tombstoneTtlMs], signal);
      await this.waitForReplicas(keys[0]!, signal);
      return existed;
    });
    return existed === 1;
  }

  async indexAdd(
    userKey: string,
    { handle, addedAt }: IndexEntry,
    staleBefore: number,
    ttlMs: number,
  ): Promise<number> {
    const keys = [this.indexKey(userKey)];
    const args = [handle, addedAt, staleBefore, Math.max(1, Math.ceil(ttlMs))];
    return Number(
      await this.bounded((signal) => INDEX_ADD.run(this.connection, keys, args, signal)),
    );
  }

  async indexPage(userKey: string, offset: number, count: number): Promise<IndexEntry[]> {
    if (count <= 0) return []; // ZRANGE would read a stop of offset - 1 as "to the end"
    const keys = [this.indexKey(userKey)];
    const reply = await this.bounded((signal) =>
      INDEX_PAGE.run(this.connection, keys, [offset, count], signal),
    );
    const flat = (reply as unknown[]).map((value) => String(value));
    const entries: IndexEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      entries.push({ handle: flat[i]!, addedAt: Number(flat[i + 1]) });
    }
    return entries;
  }

  async indexRemove(userKey: string, handles: readonly string[]): Promise<void> {
    if (handles.length === 0) return;
    const keys = [this.indexKey(userKey)];
    await this.bounded((signal) => INDEX_REMOVE.run(this.connection, keys, [...handles], signal));
  }

  private getBytes(key: string): Promise<Buffer | null> {
    // A bulk string read as bytes, or null: what GET answers.
    return this.bounded(
      (signal) => this.connection.sendForBytes(key, ['GET', key], signal) as Promise<Buffer | null>,
    );
  }

  private async deleteKey(key: string): Promise<void> {
    await this.bounded((signal) => this.connection.send(key, ['DEL', key], signal));
  }

  // One message per batch: handles, space-separated (they are base64url).
  async announceEnded(handles: readonly string[]): Promise<void> {
    if (handles.length === 0) return;
    const message = handles.join(' ');
    await this.bounded((signal) => this.connection.publish(this.endedChannel(), message, signal));
  }

  async onEnded(ended: (handle: string) => void, resubscribed?: () => void): Promise<void> {
    const channel = this.endedChannel();
    await this.connection.subscribe(
      channel,
      (message) => {
        for (const handle of message.split(' ')) ended(handle);
      },
      resubscribed,
    );
  }

  async isReachable(): Promise<boolean> {
    return this.bounded(() => this.connection.ping()).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    this.connection.detach();
    if (!this.settings.owned) return;
    // close() waits for every queued command; a stalled Redis would hold shutdown forever.
    await this.bounded(() => this.connection.close()).catch(() => this.connection.destroy());
    this.deadlines.clear();
  }

  // WAIT counts the writes made on its own connection; it is sent on the one the revocation went
  // over (the connection to the key's primary), right after it.
  private async waitForReplicas(key: string, signal?: AbortSignal): Promise<void> {
    const wanted = this.settings.revocationReplicas;
    if (wanted === 0) return;
    const ms = Math.min(MAX_WAIT_MS, Math.floor(this.settings.commandTimeout / 2));
    const confirmed = Number(
      await this.connection.send(key, ['WAIT', String(wanted), String(ms)], signal),
    );
    if (confirmed < wanted) {
      throw new Error(`a revocation reached ${confirmed} of ${wanted} replicas within ${ms} ms`);
    }
  }

  private bounded<T>(operation: (signal?: AbortSignal) => Promise<T>): Promise<T> {
    return this.deadlines.run(operation);
  }

  // Any failure (a timeout too) becomes a 503 for the caller; the cause is logged.
  private failed(err: unknown): Error {
    this.connection.commandFailed();
    this.logger.error(`Session store (Redis) failed: ${errorMessage(err)}`);
    return new SessionStoreUnavailableException();
  }

  // One channel for the whole store, hash-tagged like the keys (a cluster shard owns it).
  private endedChannel(): string {
    return `${this.settings.prefix}{ended}`;
  }

  private recordKey(handle: string): string {
    return `${this.settings.prefix}s:{${handle}}`;
  }

  private tombstoneKey(handle: string): string {
    return `${this.settings.prefix}s:{${handle}}:revoked`;
  }

  private indexKey(userKey: string): string {
    return `${this.settings.prefix}u:{${userKey}}`;
  }
}
