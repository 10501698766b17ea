import type { StoredSession } from '../stores/session-record.codec.js';
import type { SessionRecordCodec } from '../stores/session-record.codec.js';
import type { SessionRecords } from '../stores/session-records.js';
import type { RedisSessionStore } from '../stores/redis-session.store.js';
import type { UserSessionIndex } from '../user-session-index.js';

const LEGACY_SESSION_ID = /^[\w-]{1,128}$/;
const MAX_USER_ID_LENGTH = 256;

/** @internal Where connect-redis kept its sessions, and how to tell whose they are. */
export interface ConnectRedisMigrationSettings {
  /** connect-redis's key prefix (its default is `'sess:'`). */
  prefix: string;
  userIdOf?: (legacySession: Record<string, any>) => string | number | undefined;
}

/**
 * @internal Moves sessions from connect-redis on first use: a cookie whose ID the module does not
 * know, but connect-redis does (`<prefix><session ID>` → JSON of the express-session session), is
 * stored in the module's form (hashed key, encrypted, indexed under its user) and deleted there.
 * The whole migration lives in this file; remove it, and its option, once an absolute lifetime
 * has passed.
 */
export class ConnectRedisMigration {
  constructor(
    private readonly settings: ConnectRedisMigrationSettings,
    private readonly store: RedisSessionStore,
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
    const key = this.settings.prefix + sessionId;
    const stored = await this.store.getBytes(key);
    const data = stored && this.codec.decodeLegacy(stored.toString());
    if (!data) return undefined;
    const now = Date.now();
    const userId = this.userIdOf(data);
    const meta = userId
      ? { createdAt: now, lastActivityAt: now, userId }
      : { createdAt: now, lastActivityAt: now };
    // Indexed first, so a revoke-all meanwhile reaches it.
    if (userId) await this.index.add(handle, { ...meta, userId });
    const dataJson = JSON.stringify(data);
    if (!(await this.records.write(handle, meta, dataJson))) return undefined; // revoked meanwhile
    await this.store.deleteKey(key);
    return { meta, data, dataJson };
  }

  private userIdOf(data: Record<string, unknown>): string | undefined {
    const userId = this.settings.userIdOf?.(data);
    const id = typeof userId === 'number' || typeof userId === 'string' ? String(userId) : '';
    return id.length > 0 && id.length <= MAX_USER_ID_LENGTH ? id : undefined;
  }
}
