import type { IncomingMessage } from 'node:http';
import type { ExecutionContext } from '@nestjs/common';
import { requireContext } from './engine/request-session-slot.js';
import type { RequestSession } from './session-data.interface.js';
import { SessionRequiredException } from './session.errors.js';

/**
 * @internal The HTTP request behind a handler: an HTTP route's, or a GraphQL resolver's (its
 * context's `req`); `undefined` for a context the module cannot read a request from, which
 * callers must refuse, never let through.
 */
export function requestOf(context: ExecutionContext): IncomingMessage | undefined {
  switch (context.getType<string>()) {
    case 'http':
      return context.switchToHttp().getRequest<IncomingMessage>();
    case 'graphql': {
      const graphqlContext = context.getArgs()[2] as { req?: IncomingMessage } | undefined;
      return graphqlContext?.req;
    }
    default:
      return undefined;
  }
}

/** @internal The handler's request, or a 401 for a context without one. */
export function requireRequest(context: ExecutionContext): IncomingMessage {
  const req = requestOf(context);
  if (!req) {
    throw new SessionRequiredException(
      `No session in a '${context.getType()}' handler: the module reads sessions from HTTP requests`,
    );
  }
  return req;
}

/**
 * @internal The request's session: 401 on a route without session handling, 503 when the store
 * could not be read; `undefined` once destroyed on this request.
 */
export function requireSession(req: IncomingMessage): RequestSession | undefined {
  requireContext(req);
  return (req as IncomingMessage & { session?: RequestSession }).session;
}
