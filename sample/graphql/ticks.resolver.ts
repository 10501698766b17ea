import type { IncomingMessage } from 'node:http';
import { setInterval } from 'node:timers/promises';
import { UseFilters } from '@nestjs/common';
import { Context, Resolver, Subscription } from '@nestjs/graphql';
import { SessionRequiredException, SessionService } from 'nestjs-secure-session';
import { asGraphqlError, GraphqlHttpExceptionFilter } from './graphql-errors.js';
import { Tick } from './graphql.models.js';

const TICK_MS = 200;

/** A subscription for logged-in users: a tick every 200 ms while their session lives. */
@Resolver()
@UseFilters(GraphqlHttpExceptionFilter)
export class TicksResolver {
  constructor(private readonly sessions: SessionService) {}

  /**
   * The global RevokedSessionGuard checks the connection's session when the subscription starts,
   * and only then: Nest runs guards once per `subscribe`, not per event. So every tick reads the
   * session again and ends the subscription with UNAUTHENTICATED once it is logged out, revoked
   * or expired, on any instance.
   */
  @Subscription(() => Tick, { resolve: (tick: Tick) => tick })
  async *ticks(@Context('req') handshake: IncomingMessage): AsyncGenerator<Tick> {
    let sequence = 0;
    try {
      for await (const _ of setInterval(TICK_MS)) {
        const session = await this.sessions.sessionOf(handshake);
        if (session?.userId === undefined) throw new SessionRequiredException('Session ended');
        yield { sequence: ++sequence, at: Date.now() };
      }
    } catch (error) {
      throw asGraphqlError(error);
    }
  }
}
