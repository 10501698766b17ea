import {
  SetMetadata,
  UnauthorizedException,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { ABSOLUTE_MS, IDLE_MS, type FloorSession } from './floor-store.js';

/**
 * The per-request checks of both floor apps, registered globally as the module registers its
 * own: a guard that wants a logged-in session, an interceptor that enforces the idle and
 * absolute deadlines from the session's stamps.
 */

const FLOOR_PUBLIC = 'BENCH:FLOOR_PUBLIC';

/** Opens a route (login) that the floor guard would close. */
export const FloorPublic = () => SetMetadata(FLOOR_PUBLIC, true);

/** Where an app keeps the session it loaded for the request, if any. */
export type FloorSessionOf = (req: Request) => FloorSession | undefined;

class FloorGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessionOf: FloorSessionOf,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(FLOOR_PUBLIC, targets)) return true;
    if (!this.sessionOf(context.switchToHttp().getRequest<Request>())?.user)
      throw new UnauthorizedException();
    return true;
  }
}

class FloorDeadlineInterceptor implements NestInterceptor {
  constructor(private readonly sessionOf: FloorSessionOf) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const session = this.sessionOf(context.switchToHttp().getRequest<Request>());
    const now = Date.now();
    if (
      session &&
      (now - session.lastActivityAt > IDLE_MS || now - session.createdAt > ABSOLUTE_MS)
    )
      throw new UnauthorizedException('Session expired');
    return next.handle();
  }
}

/** The global guard and interceptor, for an app that keeps its sessions where `sessionOf` says. */
export function floorChecks(sessionOf: FloorSessionOf): Provider[] {
  return [
    {
      provide: APP_GUARD,
      inject: [Reflector],
      useFactory: (reflector: Reflector) => new FloorGuard(reflector, sessionOf),
    },
    { provide: APP_INTERCEPTOR, useValue: new FloorDeadlineInterceptor(sessionOf) },
  ];
}
