import type { SessionMetadata } from '../session-data.interface.js';

/** Why a session ended on its own. */
export type ExpiryReason = 'idle' | 'absolute';

/**
 * @internal The idle and absolute timeout rules, in one place for the stores (TTL), the
 * interceptor (enforcement and renewal) and the denylist (how long a tombstone must last).
 */
export class SessionLifetime {
  constructor(
    readonly idleTimeout: number,
    readonly absoluteTimeout: number,
    readonly renewalFraction: number,
  ) {}

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

  /**
   * How long a revoked session's tombstone must last: as long as any request that loaded the
   * session before revocation could still renew it — an idle window, capped by what is left of
   * the absolute lifetime. After that a write-back would have expired by itself.
   */
  tombstoneTtl(meta: SessionMetadata | undefined, now: number): number {
    const absoluteLeft = meta ? meta.createdAt + this.absoluteTimeout - now : this.absoluteTimeout;
    return Math.max(1, Math.min(this.idleTimeout, absoluteLeft));
  }
}
