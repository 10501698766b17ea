/** Which kind of store holds the sessions. */
export type SessionStoreKind = 'redis' | 'memory';

/** @internal One entry of a user's index: a session handle and when it was added (epoch ms). */
export interface IndexEntry {
  handle: string;
  addedAt: number;
}

/**
 * @internal The storage primitives a session store provides, on opaque bytes under session
 * handles and hashed user keys. What a record holds, how long it lives and when it may be written
 * is decided by SessionRecords and UserSessionIndex, not here. Each write that must not race with
 * a revocation is atomic in the store itself.
 */
export interface SessionStore {
  readonly kind: SessionStoreKind;
  /** The record, or `null` when there is none. */
  read(handle: string): Promise<Buffer | null>;
  /** Whether a tombstone marks the handle as revoked. */
  isRevoked(handle: string): Promise<boolean>;
  /** Writes the record unless a tombstone exists, atomically; resolves whether it wrote. */
  writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number): Promise<boolean>;
  /** Deletes the record and sets a tombstone, atomically; resolves whether the record existed. */
  revoke(handle: string, tombstoneTtlMs: number): Promise<boolean>;
  /**
   * Adds a handle to a user's index (ordered by `addedAt`, epoch ms), drops the entries added
   * before `staleBefore`, and keeps the index at least `ttlMs`, atomically; resolves how many
   * entries it then holds.
   */
  indexAdd(
    userKey: string,
    entry: { handle: string; addedAt: number },
    staleBefore: number,
    ttlMs: number,
  ): Promise<number>;
  /** At most `count` entries of a user's index from position `offset`, oldest first. */
  indexPage(userKey: string, offset: number, count: number): Promise<IndexEntry[]>;
  indexRemove(userKey: string, handles: readonly string[]): Promise<void>;
  /** Tells every instance sharing the store that these sessions ended (for their connections). */
  announceEnded(handles: readonly string[]): Promise<void>;
  /** Calls `listener` with the handle of every session that ends, on any instance. */
  onEnded(listener: (handle: string) => void): Promise<void>;
  /** Resolves true when the store answers within its command timeout. */
  isReachable(): Promise<boolean>;
  /** Releases the timers and connections the store owns. */
  close(): Promise<void>;
}
