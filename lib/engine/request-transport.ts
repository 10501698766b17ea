import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * @internal What the engine needs to know about a request beyond Node's own `IncomingMessage`:
 * whether it arrived over HTTPS and from which address. Express answers both, honouring its
 * `trust proxy` setting (`req.secure`, `req.ip`); a bare Node request (a WebSocket upgrade, say)
 * answers from its socket. Another platform is another implementation of this interface.
 */
export interface RequestTransport {
  isSecure(req: IncomingMessage): boolean;
  clientIp(req: IncomingMessage): string | undefined;
}

type ExpressLike = IncomingMessage & { secure?: boolean; ip?: string };

/** @internal Express's view of a request when it has one, the socket's otherwise. */
export const expressTransport: RequestTransport = {
  isSecure: (req) => (req as ExpressLike).secure ?? (req.socket as TLSSocket).encrypted === true,
  clientIp: (req) => (req as ExpressLike).ip ?? req.socket?.remoteAddress,
};
