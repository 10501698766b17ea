/** Which kind of store holds the sessions. */
export type SessionStoreKind = 'redis' | 'memory';

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
  /** Several records, `null` where there is none. */
  readMany(handles: string[]): Promise<(Buffer | null)[]>;
  /** Whether a tombstone marks the handle as revoked. */
  isRevoked(handle: string): Promise<boolean>;
  /** Writes the record unless a tombstone exists, atomically; resolves whether it wrote. */
  writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number): Promise<boolean>;
  /** Deletes the record and sets a tombstone, atomically; resolves whether the record existed. */
  revoke(handle: string, tombstoneTtlMs: number): Promise<boolean>;
  /** Adds a handle to a user's index, which then lasts at least `ttlMs`. */
  indexAdd(userKey: string, handle: string, addedAt: number, ttlMs: number): Promise<void>;
  /** A user's index: each handle → when it was added (epoch ms). */
  indexRead(userKey: string): Promise<Map<string, number>>;
  indexRemove(userKey: string, handles: string[]): Promise<void>;
  /** Tells every instance sharing the store that a session ended (for its live connections). */
  announceEnded(handle: string): Promise<void>;
  /** Calls `listener` with the handle of every session that ends, on any instance. */
  onEnded(listener: (handle: string) => void): Promise<void>;
  /** Resolves true when the store answers within its command timeout. */
  isReachable(): Promise<boolean>;
  /** Releases the timers and connections the store owns. */
  close(): Promise<void>;
}
