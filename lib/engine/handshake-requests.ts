import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { isAppOrigin } from '../guards/app-origin.js';
import type { LiveConnections } from './live-connections.js';
import { platformTransport } from './request-transport.js';
import type { SessionSnapshot } from '../session-data.interface.js';

/** @internal What reads a handshake's session: the engine of the app whose server it came to. */
export interface HandshakeInspector {
  /** The handshake's session; with `renew` (a connection's activity), renewed when due. */
  inspect(
    req: IncomingMessage,
    options?: { renew?: boolean },
  ): Promise<SessionSnapshot | undefined>;
  /** When a session ends by itself if nothing renews it. */
  expiresAt(session: SessionSnapshot): number;
  /** Whether a session read a moment ago is due for renewal now. */
  renewalDue(session: SessionSnapshot): boolean;
  /** Whether a request arrived over HTTPS, as the engine's transport sees it. */
  isSecure(req: IncomingMessage): boolean;
}

interface TrackedServer {
  inspector: HandshakeInspector;
  requestPrototype?: object;
}

/** A connection on its way to be accepted: what follows it, and its session as first read. */
interface Opening {
  socket: Socket;
  live: LiveConnections;
  inspector: HandshakeInspector;
  read?: Promise<SessionSnapshot | undefined>;
}

// A `ws` WebSocket keeps its socket but not the request that opened it; the HTTP server's
// `upgrade` event has both.
const handshakes = new WeakMap<object, IncomingMessage>();
const servers = new WeakMap<object, TrackedServer>();
const openings = new WeakMap<IncomingMessage, Opening>();

/**
 * @internal Remembers each upgrade request of the app's HTTP server by its socket, and which
 * engine reads the sessions of that server's connections (so a guard needs no injection).
 * `requestPrototype` is the platform's prototype of the requests it handles (Express's
 * `app.request`): upgrade requests, which it never handles, are seen through it (`trust proxy`).
 */
export function trackHandshakes(
  server: Server,
  inspector: HandshakeInspector,
  live: LiveConnections,
  requestPrototype?: object,
): void {
  servers.set(server, { inspector, requestPrototype });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    handshakes.set(socket, req);
    const opening: Opening = { socket, live, inspector };
    openings.set(req, opening);
    // Following the connection, to close it when its session ends, takes a read of its session:
    // read only, since nothing has accepted the connection yet (an upgrade may go to any path),
    // and not made at all for a handshake from another site (one from an allowed origin is read
    // when the app accepts it). The app deciding whether it may open uses this read.
    const origin = req.headers.origin;
    if (origin !== undefined && !isAppOrigin(origin, req, arrivedSecure(req), [])) return;
    follow(opening, inspector.inspect(req));
  });
}

// A logged-in session's connections close when it ends (the store read fails closed: a
// connection not followed is still refused at its next guarded message).
function follow(opening: Opening, read: Promise<SessionSnapshot | undefined>): void {
  const { socket, live, inspector } = opening;
  opening.read = read;
  read.then(
    (session) => {
      if (session?.userId !== undefined) live.add(session.id, socket, inspector.expiresAt(session));
    },
    () => undefined,
  );
}

/**
 * @internal The session of a handshake whose connection the app accepts (its origin checked),
 * the first time it is asked for: the read made when its upgrade arrived, renewed when due
 * (`readNow()` reads it again and renews it: opening a connection is activity). Without that
 * read (a handshake from an allowed origin), `readNow()`, and the connection is followed from
 * then on. A later call, or a request that was no upgrade: `readNow()`.
 */
export async function openingSessionOf(
  req: IncomingMessage,
  readNow: () => Promise<SessionSnapshot | undefined>,
): Promise<SessionSnapshot | undefined> {
  const opening = openings.get(req);
  openings.delete(req);
  if (!opening) return readNow();
  if (!opening.read) {
    const read = readNow();
    follow(opening, read);
    return read;
  }
  const session = await opening.read;
  return session && opening.inspector.renewalDue(session) ? readNow() : session;
}

/**
 * @internal The session of a WebSocket handshake, read from the store now and renewed when due
 * (the connection is active); `undefined` when it has none, or came to a server the module is
 * not mounted on. A connection not followed yet is followed from then on.
 */
export async function inspectHandshake(req: IncomingMessage): Promise<SessionSnapshot | undefined> {
  const read = trackedServerOf(req)?.inspector.inspect(req, { renew: true });
  const opening = openings.get(req);
  if (read && opening && !opening.read) follow(opening, read);
  return read;
}

/**
 * @internal A request as its platform sees the requests it handles: an upgrade request (which
 * no platform handles) through the platform's request prototype, so the engine's transport
 * answers for it as for an HTTP request (`protocol` and `ip`, which honour Express's `trust
 * proxy` and Fastify's `trustProxy`); any other request as it is.
 */
export function platformRequest(req: IncomingMessage): IncomingMessage {
  const prototype = trackedServerOf(req)?.requestPrototype;
  if (!prototype || Object.prototype.isPrototypeOf.call(prototype, req)) return req;
  return Object.create(prototype, {
    headers: { value: req.headers },
    socket: { value: req.socket },
    raw: { value: req }, // what Fastify's getters read
  }) as IncomingMessage;
}

/**
 * @internal Whether a request (an HTTP request or a WebSocket handshake) arrived over HTTPS, as
 * the engine of the server it came to sees it; Express's view for a server the module does not
 * follow.
 */
export function arrivedSecure(req: IncomingMessage): boolean {
  const transport = trackedServerOf(req)?.inspector ?? platformTransport;
  return transport.isSecure(platformRequest(req));
}

function trackedServerOf(req: IncomingMessage): TrackedServer | undefined {
  const server = (req.socket as { server?: object } | undefined)?.server;
  return server && servers.get(server);
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
