import {
  createParamDecorator,
  type ExecutionContext,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import type { SessionData } from '../session-data.interface.js';
import { isConnection, requireRequest, requireSession } from '../session-access.js';

/**
 * Injects the request's session, or one of its keys: `@Session() session: RequestSession`,
 * `@Session('cart') cart?: string[]`. Answers 503 when the session store is unreachable, and 401
 * on a route without session handling (outside the cookie path, or excluded).
 */
// Typed by hand: an inferred type would be written into the declarations with `keyof
// SessionData` expanded to the keys of whatever augmented it in the same compilation.
type SessionDecorator = (
  ...keyOrPipes: (keyof SessionData | PipeTransform | Type<PipeTransform> | undefined)[]
) => ParameterDecorator;

export const Session: SessionDecorator = createParamDecorator(
  (key: keyof SessionData | undefined, context: ExecutionContext) => {
    const req = requireRequest(context);
    const session = requireSession(req, isConnection(context, req));
    return key === undefined ? session : session?.[key];
  },
);
