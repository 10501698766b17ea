import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import {
  InjectSessionOptions,
  SameOriginGuard,
  SessionService,
  type ResolvedSessionOptions,
  type SessionSnapshot,
} from 'nestjs-secure-session';

/**
 * Decides whether a WebSocket connection may open. Nest runs guards on each message, not when a
 * connection opens, so a gateway's `handleConnection` asks this: the handshake must come from
 * this site (SameOriginGuard's rule, against cross-site WebSocket hijacking) and its cookie must
 * name a logged-in session, read from the store now, so an expired, logged-out or revoked one is
 * refused.
 */
@Injectable()
export class HandshakeGuard extends SameOriginGuard {
  constructor(
    @InjectSessionOptions() options: ResolvedSessionOptions,
    private readonly sessions: SessionService,
  ) {
    super(options);
  }

  /**
   * The handshake's logged-in session, or `undefined` to refuse the connection. Never rejects:
   * Nest does not await `handleConnection`, so a store failure refuses here instead of becoming
   * an unhandled rejection.
   */
  async loggedInSession(handshake: IncomingMessage): Promise<SessionSnapshot | undefined> {
    try {
      this.checkHandshake(handshake);
      const session = await this.sessions.sessionOf(handshake);
      return session?.userId === undefined ? undefined : session;
    } catch {
      return undefined;
    }
  }
}
