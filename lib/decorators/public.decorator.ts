import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

/** @internal Metadata key set by `@Public()`. */
export const IS_PUBLIC_ROUTE = 'SESSION:PUBLIC';

/**
 * Opens a route (or a whole controller) that a global RevokedSessionGuard would otherwise close,
 * such as login or a health check. The session still loads there, so `@Session()` works.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_ROUTE, true);

/** @internal Whether the handler or its controller is marked `@Public()`. */
export function isPublicRoute(reflector: Reflector, context: ExecutionContext): boolean {
  return (
    reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]) === true
  );
}
