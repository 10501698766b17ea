/**
 * Which store holds the sessions: `'memory'`, `'redis'` and `'postgres'` are the built-in ones; a
 * store of your own names itself. Shown by SessionHealthIndicator and in the store's log lines.
 */
export type SessionStoreKind = 'memory' | 'redis' | 'postgres' | (string & {});

/** One entry of a user's index: a session handle and when it was added (epoch ms). */
export interface IndexEntry {
  handle: string;
  addedAt: number;
}

/**
 * Sessions of the setup this store replaces (connect-redis, connect-pg-simple), read by their
 * express-session ID on first use and moved over (`migration` options).
 */
export interface LegacySessionSource {
  /** The express-session JSON stored for this session ID, or `null` when there is none. */
  read(sessionId: string): Promise<string | null>;
  /** Deletes it once it is stored in the module's form. */
  remove(sessionId: string): Promise<void>;
}

/**
 * The storage primitives a session store provides, on opaque bytes under session handles and
 * hashed user keys: what a store for another database implements (give it as the `store`
 * option), and what the built-in memory, Redis and PostgreSQL stores implement. What a record
 * holds, how long it lives and when it may be written is decided by the module, not here: handles
 * and user keys arrive hashed, records arrive encrypted when `encryptionKeys` are set.
 *
 * Each write that must not race with a revocation is atomic in the store itself. A store may
 * reject any call when its database cannot answer: the module turns the rejection into a 503
 * (`SessionStoreUnavailableException`) and logs it, and bounds every call by `storeTimeout`.
 * `nestjs-secure-session/testing` exports the contract suite a store must pass.
 */
export interface SessionStore {
  /** The store's name, for health checks and log lines. */
  readonly kind: SessionStoreKind;
  /** The record, or `null` when there is none or it is past its TTL. */
  read(handle: string): Promise<Buffer | null>;
  /** Whether a tombstone (not past its TTL) marks the handle as revoked. */
  isRevoked(handle: string): Promise<boolean>;
  /**
   * Writes the record with a TTL unless a tombstone exists, atomically (a revocation between the
   * check and the write must not be lost); resolves whether it wrote.
   */
  writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number): Promise<boolean>;
  /**
   * Deletes the record and sets a tombstone with a TTL, atomically; resolves whether a record
   * (not past its TTL) existed.
   */
  revoke(handle: string, tombstoneTtlMs: number): Promise<boolean>;
  /**
   * Adds a handle to a user's index (ordered by `addedAt`, epoch ms; a handle added again moves
   * to its new place), drops the entries added before `staleBefore`, and keeps this entry at least
   * `ttlMs`, atomically; resolves how many entries it then holds.
   */
  indexAdd(
    userKey: string,
    entry: { handle: string; addedAt: number },
    staleBefore: number,
    ttlMs: number,
  ): Promise<number>;
  /** At most `count` entries of a user's index from position `offset`, oldest first. */
  indexPage(userKey: string, offset: number, count: number): Promise<IndexEntry[]>;
  /** Removes these handles from a user's index (unknown ones are ignored). */
  indexRemove(userKey: string, handles: readonly string[]): Promise<void>;
  /** Tells every instance sharing the store that these sessions ended (for their connections). */
  announceEnded(handles: readonly string[]): Promise<void>;
  /**
   * Calls `ended` with the handle of every session that ends, on any instance; resolves once the
   * subscription is in place (or, with the database down, once it is being retried). When the store
   * lost its subscription for a while and has it back, it calls `resubscribed`, so that the
   * module checks again the sessions whose announcements may have been missed.
   */
  onEnded(ended: (handle: string) => void, resubscribed?: () => void): Promise<void>;
  /** Resolves true when the store answers. */
  isReachable(): Promise<boolean>;
  /** Releases the timers and connections the store owns; the module calls it on shutdown. */
  close(): Promise<void>;
  /** Sessions of an earlier setup to move over on first use, when migrating. */
  readonly legacySessions?: LegacySessionSource;
}
