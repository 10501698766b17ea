import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { LiveConnections } from './live-connections.js';
import type { SessionSnapshot } from '../session-data.interface.js';

/** @internal What reads a handshake's session: the engine of the app whose server it came to. */
export interface HandshakeInspector {
  inspect(
    req: IncomingMessage,
    options?: { renew?: boolean },
  ): Promise<SessionSnapshot | undefined>;
  /** When a session ends by itself if nothing renews it. */
  expiresAt(session: SessionSnapshot): number;
}

// A `ws` WebSocket keeps its socket but not the request that opened it; the HTTP server's
// `upgrade` event has both.
const handshakes = new WeakMap<object, IncomingMessage>();
const inspectors = new WeakMap<object, HandshakeInspector>();
const openingReads = new WeakMap<IncomingMessage, Promise<SessionSnapshot | undefined>>();

/**
 * @internal Remembers each upgrade request of the app's HTTP server by its socket, and which
 * engine reads the sessions of that server's connections (so a guard needs no injection).
 */
export function trackHandshakes(
  server: Server,
  inspector: HandshakeInspector,
  live: LiveConnections,
): void {
  inspectors.set(server, inspector);
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    handshakes.set(socket, req);
    // Opening a connection is activity: the session is renewed when due. This one read serves
    // the app deciding whether the connection may open (openingSessionOf).
    const opening = inspector.inspect(req, { renew: true });
    openingReads.set(req, opening);
    // A logged-in session's connections close when it ends (the store read fails closed: a
    // connection not followed is still refused at its next guarded message).
    opening.then(
      (session) => {
        if (session?.userId !== undefined)
          live.add(session.id, socket, inspector.expiresAt(session));
      },
      () => undefined,
    );
  });
}

/**
 * @internal The session of a handshake as read when its upgrade arrived, the first time it is
 * asked for; otherwise (a later call, or a request that was no upgrade) `readNow()`.
 */
export function openingSessionOf(
  req: IncomingMessage,
  readNow: () => Promise<SessionSnapshot | undefined>,
): Promise<SessionSnapshot | undefined> {
  const opening = openingReads.get(req);
  openingReads.delete(req);
  return opening ?? readNow();
}

/**
 * @internal The session of a WebSocket handshake, read from the store now and renewed when due
 * (the connection is active); `undefined` when it has none, or came to a server the module is
 * not mounted on.
 */
export async function inspectHandshake(req: IncomingMessage): Promise<SessionSnapshot | undefined> {
  const server = (req.socket as { server?: object } | undefined)?.server;
  const inspector = server && inspectors.get(server);
  return inspector?.inspect(req, { renew: true });
}

/**
 * @internal The request that opened a WebSocket connection: socket.io's `client.request`, or, for
 * a `ws` client on the app's own HTTP server, the upgrade request of its socket.
 */
export function handshakeOf(client: unknown): IncomingMessage | undefined {
  const { request, _socket: socket } = (client ?? {}) as {
    request?: IncomingMessage;
    _socket?: object;
  };
  if (typeof request === 'object' && request !== null && 'headers' in request) return request;
  return typeof socket === 'object' && socket !== null ? handshakes.get(socket) : undefined;
}

/** @internal Whether a request opens a WebSocket (the engine does not handle those). */
export function isHandshake(req: IncomingMessage): boolean {
  return req.headers?.upgrade?.toLowerCase() === 'websocket';
}
