import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionData } from '../session-data.interface.js';
import { requireSession, type SessionRequest } from '../session-request.js';

/**
 * Injects the request's session, or one of its keys: `@Session() session: RequestSession`,
 * `@Session('cart') cart?: string[]`. Answers 503 when the session store is unreachable.
 */
export const Session = createParamDecorator(
  (key: keyof SessionData | undefined, context: ExecutionContext) => {
    const session = requireSession(context.switchToHttp().getRequest<SessionRequest>());
    return key === undefined ? session : session[key];
  },
);
