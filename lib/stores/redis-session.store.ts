import { Logger } from '@nestjs/common';
import type { SessionData as ExpressSessionData } from 'express-session';
import { errorMessage, SessionStoreUnavailableException } from '../session.errors.js';
import type { SessionEvents } from '../events/session-events.js';
import type { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { RedisScript } from '../redis/redis-script.js';
import { RevocableSessionStore } from './revocable-session.store.js';
import type { SessionRecordCodec } from './session-record.codec.js';

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
const LEGACY_SESSION_ID = /^[\w-]{1,128}$/;

/** @internal Where and how the Redis store keeps sessions. */
export interface RedisStoreSettings {
  connection: RedisConnection;
  prefix: string;
  /** Whether the module created the client (and so closes it). */
  owned: boolean;
  commandTimeout: number;
  /** Replicas that must confirm a revocation before it is acknowledged (WAIT), 0 for none. */
  revocationReplicas: number;
  /** Prefix of connect-redis sessions to migrate on first use, if any. */
  legacyPrefix?: string;
  /** Finds the user of a legacy session. */
  legacyUserId?: (legacySession: Record<string, any>) => string | number | undefined;
}

/**
 * @internal Sessions in Redis. Key layout, every key under `prefix`, hash tags for Redis Cluster:
 * - `s:{<handle>}`: the session record, TTL = time left until idle or absolute expiry;
 * - `s:{<handle>}:revoked`: the tombstone (denylist entry), TTL = the longest the session could
 *   still have lived; same slot as the record, so write-unless-revoked is one atomic script;
 * - `u:{<user hash>}`: the handles of the user's sessions (→ when each was added), TTL = its
 *   longest session.
 */
export class RedisSessionStore extends RevocableSessionStore {
  readonly kind = 'redis';
  private readonly logger = new Logger('SessionModule');
  private readonly connection: RedisConnection;

  constructor(
    private readonly settings: RedisStoreSettings,
    lifetime: SessionLifetime,
    events: SessionEvents,
    codec: SessionRecordCodec,
  ) {
    super(lifetime, events, codec);
    this.connection = settings.connection;
  }

  protected async readRecord(handle: string): Promise<Buffer | undefined> {
    const key = this.recordKey(handle);
    const record = await this.bounded((signal) =>
      this.connection.send(key, ['GET', key], { bytes: true, signal }),
    );
    return (record as Buffer | null) ?? undefined;
  }

  protected async readRecords(handles: string[]): Promise<(Buffer | undefined)[]> {
    // One GET per record, each routed to its own slot's primary (no cross-slot MGET).
    const records = await this.bounded((signal) =>
      Promise.all(
        handles
          .map((handle) => this.recordKey(handle))
          .map((key) => this.connection.send(key, ['GET', key], { bytes: true, signal })),
      ),
    );
    return records.map((record) => (record as Buffer | null) ?? undefined);
  }

  protected async isRevoked(handle: string): Promise<boolean> {
    const key = this.tombstoneKey(handle);
    return (
      (await this.bounded((signal) => this.connection.send(key, ['EXISTS', key], { signal }))) === 1
    );
  }

  protected async writeRecord(handle: string, record: Buffer, ttlMs: number): Promise<boolean> {
    const keys = [this.recordKey(handle), this.tombstoneKey(handle)];
    const written = await this.bounded((signal) =>
      WRITE_UNLESS_REVOKED.run(this.connection, keys, [record, ttlMs], signal),
    );
    return written === 1;
  }

  async revokeRecord(handle: string, tombstoneTtlMs: number): Promise<boolean> {
    const keys = [this.recordKey(handle), this.tombstoneKey(handle)];
    const existed = await this.bounded(async (signal) => {
      const existed = await REVOKE.run(this.connection, keys, [tombstoneTtlMs], signal);
      await this.waitForReplicas(keys[0]!, signal);
      return existed;
    });
    return existed === 1;
  }

  protected async addIndexEntry(userKey: string, handle: string, ttlMs: number): Promise<void> {
    const args = [handle, Date.now(), ttlMs];
    await this.bounded((signal) =>
      INDEX_ADD.run(this.connection, [this.indexKey(userKey)], args, signal),
    );
  }

  protected async removeFromIndex(userKey: string, handles: string[]): Promise<void> {
    const key = this.indexKey(userKey);
    await this.bounded((signal) =>
      this.connection.send(key, ['HDEL', key, ...handles], { signal }),
    );
  }

  protected async readIndexEntries(userKey: string): Promise<Map<string, number>> {
    const key = this.indexKey(userKey);
    const reply = await this.bounded((signal) =>
      this.connection.send(key, ['HGETALL', key], { signal }),
    );
    return new Map(hashEntries(reply).map(([h, at]) => [h, Number(at)]));
  }

  // WAIT counts the writes made on its own connection; it is sent on the one the revocation went
  // over (the connection to the key's primary), right after it.
  private async waitForReplicas(key: string, signal: AbortSignal): Promise<void> {
    const wanted = this.settings.revocationReplicas;
    if (wanted === 0) return;
    const ms = Math.min(MAX_WAIT_MS, Math.floor(this.settings.commandTimeout / 2));
    const args = ['WAIT', String(wanted), String(ms)];
    const confirmed = Number(await this.connection.send(key, args, { signal }));
    if (confirmed < wanted) {
      throw new Error(`a revocation reached ${confirmed} of ${wanted} replicas within ${ms} ms`);
    }
  }

  // connect-redis keeps `<prefix><session ID>` → JSON of the session.
  protected override async readLegacySession(sid: string): Promise<ExpressSessionData | undefined> {
    const { legacyPrefix } = this.settings;
    if (legacyPrefix === undefined || !LEGACY_SESSION_ID.test(sid)) return undefined;
    const key = legacyPrefix + sid;
    const reply = await this.bounded((signal) =>
      this.connection.send(key, ['GET', key], { bytes: true, signal }),
    );
    if (!Buffer.isBuffer(reply)) return undefined;
    const decoded = this.codec.decodeLegacy(reply.toString());
    return 'value' in decoded ? decoded.value : undefined;
  }

  protected override legacyUserId(legacy: ExpressSessionData): string | undefined {
    const userId = this.settings.legacyUserId?.(legacy);
    const id = typeof userId === 'number' || typeof userId === 'string' ? String(userId) : '';
    return id.length > 0 && id.length <= 256 ? id : undefined;
  }

  protected override async deleteLegacySession(sid: string): Promise<void> {
    const key = this.settings.legacyPrefix + sid;
    await this.bounded((signal) => this.connection.send(key, ['DEL', key], { signal }));
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
  }

  // node-redis times a command out only until it is written; a Redis that accepted it and then
  // stalls (paused, overloaded) would hold the request forever. This bounds the whole exchange,
  // aborts commands still waiting to be sent (so none runs long after its request got its
  // answer), and turns any store failure into a 503 for the caller (the cause is logged).
  private bounded<T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ms = this.settings.commandTimeout;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`Redis did not answer within ${ms} ms`));
      }, ms);
    });
    return Promise.race([operation(abort.signal), deadline])
      .catch((err: unknown) => {
        this.connection.commandFailed();
        this.logger.error(`Session store (Redis) failed: ${errorMessage(err)}`);
        throw new SessionStoreUnavailableException();
      })
      .finally(() => clearTimeout(timer));
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
