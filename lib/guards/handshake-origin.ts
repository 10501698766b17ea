import type { IncomingMessage } from 'node:http';
import { arrivedSecure } from '../engine/handshake-requests.js';
import { isAppOrigin } from './app-origin.js';

/**
 * @internal Whether a connection's handshake comes from this app's site: no Origin (not a
 * browser), or an origin that is this app's own or in `allowedOrigins`, by the rule HTTP requests
 * follow. A cross-site one is WebSocket hijacking: the browser sends the victim's cookie with it
 * as with a form post.
 */
export function isSameOriginHandshake(
  req: IncomingMessage,
  allowedOrigins: readonly string[],
): boolean {
  const origin = req.headers.origin;
  return origin === undefined || isAppOrigin(origin, req, arrivedSecure(req), allowedOrigins);
}
