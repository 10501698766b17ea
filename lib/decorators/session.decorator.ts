import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionData } from '../session-data.interface.js';
import { requireRequest, requireSession } from '../session-access.js';

/**
 * Injects the request's session, or one of its keys: `@Session() session: RequestSession`,
 * `@Session('cart') cart?: string[]`. Answers 503 when the session store is unreachable, and 401
 * on a route without session handling (outside the cookie path, or excluded).
 */
export const Session = createParamDecorator(
  (key: keyof SessionData | undefined, context: ExecutionContext) => {
    const session = requireSession(requireRequest(context));
    return key === undefined ? session : session?.[key];
  },
);
