import type { IncomingMessage } from 'node:http';

/**
 * @internal Whether an `Origin` is this app's own — the scheme the request arrived over, as its
 * transport sees it (`secure`: behind a TLS proxy, as `trust proxy` says), and the host it came
 * to — or one of `allowedOrigins`. The one rule for HTTP requests and WebSocket handshakes alike:
 * the app's host under the other scheme is another origin (a page an attacker on the network can
 * serve over plain http, say).
 */
export function isAppOrigin(
  origin: string,
  req: IncomingMessage,
  secure: boolean,
  allowedOrigins: readonly string[],
): boolean {
  const host = req.headers.host;
  return (
    (host !== undefined && origin === `${secure ? 'https' : 'http'}://${host}`) ||
    allowedOrigins.includes(origin)
  );
}
