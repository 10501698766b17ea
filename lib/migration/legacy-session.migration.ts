import type { StoredSession } from '../stores/session-record.codec.js';
import type { SessionRecordCodec } from '../stores/session-record.codec.js';
import type { SessionRecords } from '../stores/session-records.js';
import type { LegacySessionSource } from '../stores/session-store.interface.js';
import type { UserSessionIndex } from '../user-session-index.js';

const LEGACY_SESSION_ID = /^[\w-]{1,128}$/;
const MAX_USER_ID_LENGTH = 256;

/** @internal How to tell whose a legacy session is. */
export type LegacyUserIdOf = (legacySession: Record<string, any>) => string | number | undefined;

/**
 * @internal Moves sessions of the setup being replaced (connect-redis, connect-pg-simple: the
 * store's `legacySessions`) on first use: a cookie whose ID the module does not know, but the old
 * store does (the express-session JSON), is stored in the module's form (hashed key, encrypted,
 * indexed under its user) and deleted there. The whole migration lives here and in the stores'
 * sources; remove it, and its options, once an absolute lifetime has passed.
 */
export class LegacySessionMigration {
  constructor(
    private readonly source: LegacySessionSource,
    private readonly userIdOf: LegacyUserIdOf | undefined,
    private readonly codec: SessionRecordCodec,
    private readonly records: SessionRecords,
    private readonly index: UserSessionIndex,
  ) {}

  /**
   * The legacy session of this ID, now stored in the module's form, or `undefined` when there is
   * none. A failure (too large, revoked meanwhile, store down) leaves the legacy session for a
   * later request and rejects.
   */
  async adopt(sessionId: string, handle: string): Promise<StoredSession | undefined> {
    if (!LEGACY_SESSION_ID.test(sessionId)) return undefined;
    const stored = await this.source.read(sessionId);
    const data = stored && this.codec.decodeLegacy(stored);
    if (!data) return undefined;
    const now = Date.now();
    const userId = this.userOf(data);
    const meta = userId
      ? { createdAt: now, lastActivityAt: now, userId }
      : { createdAt: now, lastActivityAt: now };
    // Indexed first, so a revoke-all meanwhile reaches it.
    if (userId) await this.index.add(handle, { ...meta, userId });
    const dataJson = JSON.stringify(data);
    if (!(await this.records.write(handle, meta, dataJson))) return undefined; // revoked meanwhile
    await this.source.remove(sessionId);
    return { meta, data, dataJson };
  }

  private userOf(data: Record<string, unknown>): string | undefined {
    const userId = this.userIdOf?.(data);
    const id = typeof userId === 'number' || typeof userId === 'string' ? String(userId) : '';
    return id.length > 0 && id.length <= MAX_USER_ID_LENGTH ? id : undefined;
  }
}
