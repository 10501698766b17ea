import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * A request of any platform the module runs on, as `SessionService` takes it: Node's
 * `IncomingMessage` (an Express `Request` is one) or Fastify's `FastifyRequest`.
 */
export interface SessionRequest {
  readonly headers: IncomingHttpHeaders;
  readonly method?: string;
  readonly url?: string;
}

/**
 * @internal The engine reads a request through what both platforms' requests have (headers,
 * method, url, socket, and `protocol`/`ip` where the platform sets them), and keeps its session
 * on the very object the platform hands to handlers: Express's request, or the FastifyRequest.
 */
export function nodeRequestOf(req: SessionRequest): IncomingMessage {
  return req as IncomingMessage;
}
