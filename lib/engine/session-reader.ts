import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import type { ExpiryReason } from '../lifetime/session-lifetime.js';
import type { SessionData, SessionMetadata, SessionSnapshot } from '../session-data.interface.js';
import { errorMessage } from '../session.errors.js';
import { sessionHandle } from '../session-handle.js';
import type { StoredSession } from '../stores/session-record.codec.js';
import type { LoadedRecord, MissingReason } from '../stores/session-records.js';
import { platformRequest, type HandshakeInspector } from './handshake-requests.js';
import type { SessionEngineParts } from './session-engine.js';
import type { SessionWriter } from './session-writer.js';

/** @internal A cookie's session ID that names a live session, with what the store holds. */
export interface LiveSession {
  sessionId: string;
  handle: string;
  stored: StoredSession;
}

/**
 * @internal Reads sessions from the store by what names them: a cookie's ID (for a request,
 * with the migration of legacy sessions and the expiry rule), a handshake (read only, for a
 * connection), a handle (a connection's deadline).
 */
export class SessionReader implements HandshakeInspector {
  private readonly logger = new Logger('SessionModule');

  constructor(
    private readonly parts: SessionEngineParts,
    private readonly writer: SessionWriter,
  ) {}

  /**
   * The session a request's cookie names, read only, for requests the engine does not handle (a
   * WebSocket handshake): `undefined` when there is none — absent, forged, revoked, unknown, or
   * expired (then ended here, as a request would). Rejects with a 503 when the store fails.
   * The cookie is the one an HTTP request over the same transport would use (`cookie.secure:
   * 'auto'`: `__Host-sid` over HTTPS, `sid` over plain HTTP), so a connection is the same user
   * as the browser's requests. With `renew` (a connection's activity: it is accepted, or a
   * guarded message arrives), its activity stamp is renewed when due, as a request's would be,
   * so a client active only over a WebSocket is not logged out as idle.
   */
  async inspect(
    req: IncomingMessage,
    { renew = false }: { renew?: boolean } = {},
  ): Promise<SessionSnapshot | undefined> {
    const { policy, events, transport } = this.parts;
    const seen = platformRequest(req);
    const cookie = policy.read(req.headers.cookie, policy.nameFor(transport.isSecure(seen)));
    if (cookie.kind === 'absent') return undefined;
    if (cookie.kind === 'tampered') {
      const handle = sessionHandle(cookie.raw);
      events.emit('rejected', { handle, reason: 'tampered', ip: transport.clientIp(seen) });
      return undefined;
    }
    const found = await this.firstLive(seen, cookie.sessionIds).catch((err: unknown) => {
      throw this.writer.asAnswer(err);
    });
    if (!('stored' in found)) return undefined;
    const { handle, stored } = found;
    const meta = renew ? await this.renewed(handle, stored) : stored.meta;
    return meta && { id: handle, ...meta, data: stored.data as Partial<SessionData> };
  }

  /** Whether a session read a moment ago is due for renewal now. */
  renewalDue(session: SessionSnapshot): boolean {
    return this.parts.lifetime.renewalDue(session, Date.now());
  }

  /** Whether a request arrived over HTTPS, as the engine's transport sees it. */
  isSecure(req: IncomingMessage): boolean {
    return this.parts.transport.isSecure(req);
  }

  /** The metadata after renewing it when due; `undefined` when it was revoked meanwhile. */
  private async renewed(
    handle: string,
    stored: StoredSession,
  ): Promise<SessionMetadata | undefined> {
    const now = Date.now();
    if (!this.parts.lifetime.renewalDue(stored.meta, now)) return stored.meta;
    const meta = { ...stored.meta, lastActivityAt: now };
    const written = await this.parts.records
      .write(handle, meta, stored.dataJson)
      .catch((err: unknown) => {
        throw this.writer.asAnswer(err);
      });
    return written ? meta : undefined;
  }

  /** When a session ends by itself if nothing renews it. */
  expiresAt(session: SessionSnapshot): number {
    return this.parts.lifetime.expiresAt(session);
  }

  /**
   * A session's deadline, read from the store now: `undefined` once it has ended (an expired one
   * is ended here, as a request would).
   */
  async deadlineOf(handle: string): Promise<number | undefined> {
    const { records, lifetime, events } = this.parts;
    const loaded = await records.load(handle);
    if (!('session' in loaded)) return undefined;
    const { meta } = loaded.session;
    const expired = lifetime.expiredBy(meta, Date.now());
    if (!expired) return lifetime.expiresAt(meta);
    events.emit('expired', { handle, userId: meta.userId, reason: expired });
    await this.writer.retire({ id: '', handle, meta });
    return undefined;
  }

  /**
   * Calls `ended` with the handle of every session that ends, on any instance, and `resubscribed`
   * when announcements may have been missed meanwhile.
   */
  onSessionEnded(ended: (handle: string) => void, resubscribed: () => void): Promise<void> {
    return this.parts.records.onEnded(ended, resubscribed);
  }

  /**
   * The first of a cookie's session IDs (several when cookies of its name were planted beside the
   * real one) that names a live session, or none — then why the first has none, if it expired,
   * and the first ID the store never held (neither stored nor revoked: an anonymous session's
   * cookie, to which its CSRF tokens are bound). `beforeRead` sees each handle before its read
   * (a request follows it while in flight).
   */
  async firstLive(
    req: IncomingMessage,
    sessionIds: readonly string[],
    beforeRead?: (handle: string) => void,
  ): Promise<LiveSession | { expired?: ExpiryReason; unstored?: string }> {
    let firstExpired: ExpiryReason | undefined;
    let unstored: string | undefined;
    for (const [i, sessionId] of sessionIds.entries()) {
      const handle = sessionHandle(sessionId);
      beforeRead?.(handle);
      const { stored, expired, missing } = await this.resolve(req, sessionId, handle);
      if (stored) return { sessionId, handle, stored };
      if (i === 0) firstExpired = expired;
      if (missing === 'unknown') unstored ??= sessionId;
    }
    return { expired: firstExpired, unstored };
  }

  /**
   * What a cookie's session ID stands for: its stored session, or none — reported as a
   * `rejected` event, or `expired` and ended here. Store failures reject.
   */
  async resolve(
    req: IncomingMessage,
    sessionId: string,
    handle: string,
  ): Promise<{ stored?: StoredSession; expired?: ExpiryReason; missing?: MissingReason }> {
    const { records, lifetime, events, migration, transport } = this.parts;
    let loaded: LoadedRecord = await records.load(handle);
    if ('missing' in loaded && loaded.missing === 'unknown' && migration) {
      const adopted = await migration.adopt(sessionId, handle).catch((err: unknown) => {
        this.logger.warn(`A connect-redis session could not be migrated: ${errorMessage(err)}`);
        return undefined;
      });
      if (adopted) loaded = { session: adopted };
    }
    if ('missing' in loaded) {
      events.emit('rejected', { handle, reason: loaded.missing, ip: transport.clientIp(req) });
      return { missing: loaded.missing };
    }
    const { meta } = loaded.session;
    const expired = lifetime.expiredBy(meta, Date.now());
    if (!expired) return { stored: loaded.session };
    events.emit('expired', { handle, userId: meta.userId, reason: expired });
    await this.writer.retire({ id: sessionId, handle, meta });
    return { expired };
  }
}
