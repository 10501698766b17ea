import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * @internal What the engine needs to know about a request beyond Node's own `IncomingMessage`:
 * whether it arrived over HTTPS and from which address.
 */
export interface RequestTransport {
  isSecure(req: IncomingMessage): boolean;
  clientIp(req: IncomingMessage): string | undefined;
}

type PlatformRequest = IncomingMessage & { protocol?: string; ip?: string };

/**
 * @internal The platform's view of a request when it has one — Express's and Fastify's requests
 * both answer `protocol` and `ip`, honouring `trust proxy` / `trustProxy` — the socket's
 * otherwise (a bare Node request).
 */
export const platformTransport: RequestTransport = {
  isSecure: (req) => {
    const { protocol } = req as PlatformRequest;
    return protocol === undefined
      ? (req.socket as TLSSocket).encrypted === true
      : protocol === 'https';
  },
  clientIp: (req) => (req as PlatformRequest).ip ?? req.socket?.remoteAddress,
};
