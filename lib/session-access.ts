import type { IncomingMessage } from 'node:http';
import type { ExecutionContext } from '@nestjs/common';
import { handshakeOf, isHandshake } from './engine/handshake-requests.js';
import { requireContext } from './engine/request-session-slot.js';
import type { RequestSession } from './session-data.interface.js';
import { SessionRequiredException } from './session.errors.js';

/**
 * @internal The request behind a handler: an HTTP route's; a GraphQL resolver's (its context's
 * `req`, or, for a subscription over graphql-ws, the upgrade request in `extra.request`); a
 * WebSocket gateway's (the handshake). `undefined` for a context the module cannot read a request
 * from, which callers must refuse, never let through.
 */
export function requestOf(context: ExecutionContext): IncomingMessage | undefined {
  switch (context.getType<string>()) {
    case 'http':
      return context.switchToHttp().getRequest<IncomingMessage>();
    case 'graphql': {
      // Over graphql-ws, @nestjs/apollo puts graphql-ws's own context where `req` would be; the
      // request is the one with headers: the upgrade request, or the HTTP request.
      const { req, extra } = (context.getArgs()[2] ?? {}) as GraphqlContext;
      return [extra?.request, (req as GraphqlContext | undefined)?.extra?.request, req].find(
        (candidate) => typeof candidate?.headers === 'object',
      );
    }
    case 'ws':
      return handshakeOf(context.switchToWs().getClient());
    default:
      return undefined;
  }
}

type GraphqlContext = { req?: IncomingMessage; extra?: { request?: IncomingMessage } };

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
 * could not be read; `undefined` once destroyed on this request. For a connection (`connection`:
 * a WebSocket message or a GraphQL subscription), the session RevokedSessionGuard read for it.
 */
export function requireSession(
  req: IncomingMessage,
  connection = isHandshake(req),
): RequestSession | undefined {
  const { session } = req as IncomingMessage & { session?: RequestSession };
  if (connection) {
    if (!session) throw new SessionRequiredException();
    return session;
  }
  requireContext(req);
  return session;
}

/**
 * @internal Whether a handler serves a connection rather than an HTTP request: a WebSocket
 * message (whatever transport socket.io used for its handshake), or a GraphQL subscription.
 */
export function isConnection(context: ExecutionContext, req: IncomingMessage): boolean {
  return context.getType() === 'ws' || isHandshake(req);
}
