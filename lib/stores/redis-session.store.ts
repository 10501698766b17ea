import type { SessionEvents } from '../events/session-events.js';
import type { SessionLifetime } from '../lifetime/session-lifetime.js';
import { RedisScript, type AnyRedisClient } from '../redis/redis-script.js';
import { RevocableSessionStore, type IndexUpdate } from './revocable-session.store.js';

// KEYS: record, tombstone. ARGV: record, ttl ms. Refuses to write a revoked session.
const WRITE_UNLESS_REVOKED = new RedisScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`);

// KEYS: record, tombstone. ARGV: tombstone ttl ms.
const REVOKE = new RedisScript(`
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 1`);

// KEYS: index. ARGV: handle, entry, ttl ms, only-if-present flag. Never shortens the index TTL.
const INDEX_PUT = new RedisScript(`
if ARGV[4] == '1' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`);

/**
 * @internal Sessions in Redis. Key layout, every key under `prefix`, hash tags for Redis Cluster:
 * - `s:{<handle>}`: the session record, TTL = time left until idle or absolute expiry;
 * - `s:{<handle>}:revoked`: the tombstone (denylist entry), TTL = the longest the session could
 *   still have lived; same slot as the record, so write-unless-revoked is one atomic script;
 * - `u:{<user hash>}`: hash of the user's sessions (handle → metadata), TTL = its longest session.
 */
export class RedisSessionStore extends RevocableSessionStore {
  readonly kind = 'redis';

  constructor(
    private readonly client: AnyRedisClient,
    private readonly prefix: string,
    private readonly owned: boolean,
    private readonly commandTimeout: number,
    lifetime: SessionLifetime,
    events: SessionEvents,
  ) {
    super(lifetime, events);
  }

  protected async readRecord(handle: string): Promise<string | undefined> {
    const record = await this.bounded(this.client.get(this.recordKey(handle)));
    return (record as string | null) ?? undefined;
  }

  protected async isRevoked(handle: string): Promise<boolean> {
    return (await this.bounded(this.client.exists(this.tombstoneKey(handle)))) === 1;
  }

  protected async writeRecord(
    handle: string,
    record: string,
    ttlMs: number,
    index?: IndexUpdate,
  ): Promise<boolean> {
    const keys = [this.recordKey(handle), this.tombstoneKey(handle)];
    // Sent together (one round trip). The index entry is only updated if still present, so a
    // revoke-all that removed it is not undone; a refused record write leaves it to that revoke.
    const [written] = await Promise.all([
      WRITE_UNLESS_REVOKED.run(this.client, keys, [record, ttlMs]),
      index &&
        INDEX_PUT.run(
          this.client,
          [this.indexKey(index.userKey)],
          [handle, index.entry, index.ttlMs, 1],
        ),
    ]);
    return written === 1;
  }

  async revokeRecord(handle: string, tombstoneTtlMs: number): Promise<void> {
    await REVOKE.run(
      this.client,
      [this.recordKey(handle), this.tombstoneKey(handle)],
      [tombstoneTtlMs],
    );
  }

  async recordsExist(handles: string[]): Promise<boolean[]> {
    const counts = await this.bounded(
      Promise.all(handles.map((h) => this.client.exists(this.recordKey(h)))),
    );
    return counts.map((count) => count === 1);
  }

  async addToIndex(userKey: string, handle: string, entry: string, ttlMs: number): Promise<void> {
    await this.bounded(
      INDEX_PUT.run(this.client, [this.indexKey(userKey)], [handle, entry, ttlMs, 0]),
    );
  }

  async removeFromIndex(userKey: string, handles: string[]): Promise<void> {
    if (handles.length > 0) await this.bounded(this.client.hDel(this.indexKey(userKey), handles));
  }

  async readIndex(userKey: string): Promise<Map<string, string>> {
    const entries = (await this.bounded(this.client.hGetAll(this.indexKey(userKey)))) as Record<
      string,
      string
    >;
    return new Map(Object.entries(entries));
  }

  async isReachable(): Promise<boolean> {
    if (!this.client.isReady) return false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>(
      (resolve) => (timer = setTimeout(resolve, this.commandTimeout, false)),
    );
    try {
      return await Promise.race([this.client.ping().then(() => true), timedOut]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.owned && this.client.isOpen) await this.client.close();
  }

  // node-redis times a command out only until it is written; a Redis that accepted it and then
  // stalls (paused, overloaded) would hold the request forever. This bounds the whole exchange.
  private bounded<T>(operation: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${this.commandTimeout} ms`)),
        this.commandTimeout,
      );
    });
    return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
  }

  private recordKey(handle: string): string {
    return `${this.prefix}s:{${handle}}`;
  }

  private tombstoneKey(handle: string): string {
    return `${this.prefix}s:{${handle}}:revoked`;
  }

  private indexKey(userKey: string): string {
    return `${this.prefix}u:{${userKey}}`;
  }
}
