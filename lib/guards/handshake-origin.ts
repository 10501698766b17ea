import type { IncomingMessage } from 'node:http';

/**
 * @internal Whether a connection's handshake comes from this app's site: no Origin (not a
 * browser), an origin in `allowedOrigins`, or one whose host is the host it came to (a raw
 * handshake has no Express protocol to compare). A cross-site one is WebSocket hijacking: the
 * browser sends the victim's cookie with it as with a form post.
 */
export function isSameOriginHandshake(
  req: IncomingMessage,
  allowedOrigins: readonly string[],
): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || allowedOrigins.includes(origin)) return true;
  return URL.canParse(origin) && new URL(origin).host === req.headers.host;
}
