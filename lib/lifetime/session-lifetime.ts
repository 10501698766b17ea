import type { SessionMetadata } from '../session-data.interface.js';

/** Why a session ended on its own. */
export type ExpiryReason = 'idle' | 'absolute';

// How long a record outlives its deadline, so that the next request with its cookie finds it,
// ends it visibly (an `expired` event, a cleared cookie) and leaves a tombstone.
const EXPIRY_GRACE_MS = 5 * 60 * 1000;

/**
 * @internal The idle and absolute timeout rules, in one place for the store (TTLs), the engine
 * (expiry and renewal) and the denylist (how long a tombstone must last).
 */
export class SessionLifetime {
  /** How long past its deadline an expired record is still kept: 5 minutes, or less with a short idle timeout. */
  readonly grace: number;

  constructor(
    readonly idleTimeout: number,
    readonly absoluteTimeout: number,
    readonly renewalFraction: number,
  ) {
    this.grace = Math.min(EXPIRY_GRACE_MS, idleTimeout);
  }

  /** When the session ends if nothing renews it: idle deadline capped by the absolute one. */
  expiresAt(meta: SessionMetadata): number {
    return Math.min(meta.lastActivityAt + this.idleTimeout, meta.createdAt + this.absoluteTimeout);
  }

  expiredBy(meta: SessionMetadata, now: number): ExpiryReason | undefined {
    if (now >= meta.createdAt + this.absoluteTimeout) return 'absolute';
    if (now >= meta.lastActivityAt + this.idleTimeout) return 'idle';
    return undefined;
  }

  /** Renew (stamp activity and rewrite) only once this fraction of the idle window has passed. */
  renewalDue(meta: SessionMetadata, now: number): boolean {
    return now - meta.lastActivityAt >= this.idleTimeout * this.renewalFraction;
  }

  /** How long the store keeps a record: until its deadline, plus the grace. */
  recordTtl(meta: SessionMetadata, now: number): number {
    return this.expiresAt(meta) - now + this.grace;
  }

  /**
   * How long a revoked session's tombstone must last: as long as its record could have been
   * kept — an idle window (plus the grace), capped by what is left of the absolute lifetime.
   * After that a write-back would be refused as expired anyway.
   */
  tombstoneTtl(meta: SessionMetadata | undefined, now: number): number {
    const absoluteLeft = meta ? meta.createdAt + this.absoluteTimeout - now : this.absoluteTimeout;
    return Math.max(1, Math.min(this.idleTimeout, absoluteLeft) + this.grace);
  }
}
