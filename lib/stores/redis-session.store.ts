import { Logger } from '@nestjs/common';
import { errorMessage, SessionStoreUnavailableException } from '../session.errors.js';
import { CommandDeadlines } from '../redis/command-deadlines.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { RedisScript } from '../redis/redis-script.js';
import type { SessionStore } from './session-store.interface.js';

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

// KEYS: index. ARGV: handle, added-at ms, ttl ms. Never shortens the index's TTL. A hash, not a
// set: small hashes are stored compactly (listpack), small sets of strings are not.
const INDEX_ADD = new RedisScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`);

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
}

/**
 * @internal Sessions in Redis. Key layout, every key under `prefix`, hash tags for Redis Cluster:
 * - `s:{<handle>}`: the session record;
 * - `s:{<handle>}:revoked`: the tombstone (denylist entry); same slot as the record, so
 *   write-unless-revoked is one atomic script;
 * - `u:{<user key>}`: the handles of the user's sessions (→ when each was added).
 * Every exchange is bounded by `commandTimeout`; any failure becomes a 503 for the caller (the
 * cause is logged).
 */
export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis';
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
  }

  read(handle: string): Promise<Buffer | null> {
    return this.getBytes(this.recordKey(handle));
  }

  readMany(handles: string[]): Promise<(Buffer | null)[]> {
    // One GET per record, each routed to its own slot's primary (no cross-slot MGET).
    return Promise.all(handles.map((handle) => this.read(handle)));
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

  async indexAdd(userKey: string, handle: string, addedAt: number, ttlMs: number): Promise<void> {
    await this.bounded((signal) =>
      INDEX_ADD.run(this.connection, [this.indexKey(userKey)], [handle, addedAt, ttlMs], signal),
    );
  }

  async indexRemove(userKey: string, handles: string[]): Promise<void> {
    if (handles.length === 0) return;
    const key = this.indexKey(userKey);
    await this.bounded((signal) => this.connection.send(key, ['HDEL', key, ...handles], signal));
  }

  async indexRead(userKey: string): Promise<Map<string, number>> {
    const key = this.indexKey(userKey);
    const reply = await this.bounded((signal) =>
      this.connection.send(key, ['HGETALL', key], signal),
    );
    return new Map(hashEntries(reply).map(([h, at]) => [h, Number(at)]));
  }

  /** @internal The bytes under any key of this Redis (for migrations), bounded like the rest. */
  getBytes(key: string): Promise<Buffer | null> {
    // A bulk string read as bytes, or null: what GET answers.
    return this.bounded(
      (signal) => this.connection.sendForBytes(key, ['GET', key], signal) as Promise<Buffer | null>,
    );
  }

  /** @internal Deletes any key of this Redis (for migrations), bounded like the rest. */
  async deleteKey(key: string): Promise<void> {
    await this.bounded((signal) => this.connection.send(key, ['DEL', key], signal));
  }

  async announceEnded(handle: string): Promise<void> {
    await this.bounded((signal) => this.connection.publish(this.endedChannel(), handle, signal));
  }

  async onEnded(listener: (handle: string) => void): Promise<void> {
    await this.connection.subscribe(this.endedChannel(), listener);
  }

  async isReachable(): Promise<boolean> {
    return this.bounded(() => this.connection.ping()).then(
      () => true,
      () => false,
    );
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
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

// HGETALL answers a flat [field, value, ...] list over RESP2, a map over RESP3 (a client given
// by the app may speak either).
function hashEntries(reply: unknown): [string, string][] {
  const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString() : String(value));
  if (Array.isArray(reply)) {
    const entries: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2)
      entries.push([text(reply[i]), text(reply[i + 1])]);
    return entries;
  }
  const pairs = reply instanceof Map ? [...reply] : Object.entries((reply ?? {}) as object);
  return pairs.map(([field, value]) => [text(field), text(value)]);
}
