import { Logger } from '@nestjs/common';
import type { SessionData as ExpressSessionData } from 'express-session';
import { errorMessage, SessionStoreUnavailableException } from '../session.errors.js';
import type { SessionEvents } from '../events/session-events.js';
import type { SessionLifetime } from '../lifetime/session-lifetime.js';
import type { RedisCommands, RedisConnection } from '../redis/redis-connection.js';
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

const LEGACY_SESSION_ID = /^[\w-]{1,128}$/;

/** @internal Where and how the Redis store keeps sessions. */
export interface RedisStoreSettings {
  connection: RedisConnection;
  prefix: string;
  /** Whether the module created the client (and so closes it). */
  owned: boolean;
  commandTimeout: number;
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
  private readonly client: RedisCommands;
  private readonly bytes: RedisCommands;

  constructor(
    private readonly settings: RedisStoreSettings,
    lifetime: SessionLifetime,
    events: SessionEvents,
    codec: SessionRecordCodec,
  ) {
    super(lifetime, events, codec);
    this.connection = settings.connection;
    this.client = this.connection.commands;
    this.bytes = this.connection.bytes;
  }

  protected async readRecord(handle: string): Promise<Buffer | undefined> {
    return (
      ((await this.bounded(this.bytes.get(this.recordKey(handle)))) as Buffer | null) ?? undefined
    );
  }

  protected async readRecords(handles: string[]): Promise<(Buffer | undefined)[]> {
    const records = await this.bounded(
      Promise.all(handles.map((h) => this.bytes.get(this.recordKey(h)))),
    );
    return records.map((record) => (record as Buffer | null) ?? undefined);
  }

  protected async isRevoked(handle: string): Promise<boolean> {
    return (await this.bounded(this.client.exists(this.tombstoneKey(handle)))) === 1;
  }

  protected async writeRecord(handle: string, record: Buffer, ttlMs: number): Promise<boolean> {
    const keys = [this.recordKey(handle), this.tombstoneKey(handle)];
    return (await this.bounded(WRITE_UNLESS_REVOKED.run(this.client, keys, [record, ttlMs]))) === 1;
  }

  async revokeRecord(handle: string, tombstoneTtlMs: number): Promise<boolean> {
    const keys = [this.recordKey(handle), this.tombstoneKey(handle)];
    return (await this.bounded(REVOKE.run(this.client, keys, [tombstoneTtlMs]))) === 1;
  }

  protected async addIndexEntry(userKey: string, handle: string, ttlMs: number): Promise<void> {
    const args = [handle, Date.now(), ttlMs];
    await this.bounded(INDEX_ADD.run(this.client, [this.indexKey(userKey)], args));
  }

  protected async removeFromIndex(userKey: string, handles: string[]): Promise<void> {
    await this.bounded(this.client.hDel(this.indexKey(userKey), handles));
  }

  protected async readIndexEntries(userKey: string): Promise<Map<string, number>> {
    const entries = await this.bounded(this.client.hGetAll(this.indexKey(userKey)));
    return new Map(Object.entries(entries).map(([h, at]) => [h, Number(at)]));
  }

  // connect-redis keeps `<prefix><session ID>` → JSON of the session.
  protected override async readLegacySession(sid: string): Promise<ExpressSessionData | undefined> {
    const { legacyPrefix } = this.settings;
    if (legacyPrefix === undefined || !LEGACY_SESSION_ID.test(sid)) return undefined;
    const json = (await this.bounded(this.client.get(legacyPrefix + sid))) as string | null;
    if (json === null) return undefined;
    const decoded = this.codec.decodeLegacy(json);
    return 'value' in decoded ? decoded.value : undefined;
  }

  protected override legacyUserId(legacy: ExpressSessionData): string | undefined {
    const userId = this.settings.legacyUserId?.(legacy);
    const id = typeof userId === 'number' || typeof userId === 'string' ? String(userId) : '';
    return id.length > 0 && id.length <= 256 ? id : undefined;
  }

  protected override async deleteLegacySession(sid: string): Promise<void> {
    await this.bounded(this.client.del(this.settings.legacyPrefix + sid));
  }

  async isReachable(): Promise<boolean> {
    return this.bounded(this.connection.ping()).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    if (!this.settings.owned) return;
    // close() waits for every queued command; a stalled Redis would hold shutdown forever.
    await this.bounded(this.connection.close()).catch(() => this.connection.destroy());
  }

  // node-redis times a command out only until it is written; a Redis that accepted it and then
  // stalls (paused, overloaded) would hold the request forever. This bounds the whole exchange,
  // and turns any store failure into a 503 for the caller (the cause is logged).
  private bounded<T>(operation: Promise<T>): Promise<T> {
    const ms = this.settings.commandTimeout;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([operation, deadline])
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
