import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { SESSION_EVENT_NAMES, SessionEvents } from 'nestjs-secure-session';

/**
 * Writes every session lifecycle event to the log: an audit trail, and the place to watch (or
 * rate-limit) `rejected` bursts from one address. Events carry opaque handles, never session IDs.
 */
@Injectable()
export class SessionAuditService implements OnModuleInit {
  private readonly logger = new Logger('SessionAudit');

  constructor(private readonly events: SessionEvents) {}

  onModuleInit(): void {
    for (const event of SESSION_EVENT_NAMES) {
      this.events.on(event, (payload) => this.logger.log(`${event} ${JSON.stringify(payload)}`));
    }
  }
}
