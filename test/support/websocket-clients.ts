import { connect } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';

/** How a server answered one message: its answer, a refusal (an `exception`), or a close. */
export type Reply = { answer: unknown } | { refused: unknown } | { closed: string };

/** Handshake headers a test sets; Node clients send no `Origin` unless told. */
export interface HandshakeHeaders {
  cookie?: string;
  origin?: string;
  /** As a TLS-terminating proxy sets it. */
  forwardedProto?: string;
}

const REPLY_TIMEOUT = 5_000;

function headersOf({ cookie, origin, forwardedProto }: HandshakeHeaders): Record<string, string> {
  return {
    ...(cookie && { Cookie: cookie }),
    ...(origin && { Origin: origin }),
    ...(forwardedProto && { 'X-Forwarded-Proto': forwardedProto }),
  };
}

/**
 * Opens a socket.io connection to a namespace (no reconnection, a connection of its own).
 * Resolves once the server accepted it; rejects with the `connect_error` of a refusal.
 */
export function openSocketIo(
  url: string,
  headers: HandshakeHeaders = {},
  transports: ('websocket' | 'polling')[] = ['websocket'],
): Promise<Socket> {
  const socket = io(url, {
    transports,
    extraHeaders: headersOf(headers),
    reconnection: false,
    forceNew: true,
    timeout: REPLY_TIMEOUT,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Sends a socket.io message with an acknowledgement and waits for how the server answers it. */
export function askSocketIo(socket: Socket, event: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const settle = (reply: Reply) => {
      socket.off('exception', onException).off('disconnect', onDisconnect);
      resolve(reply);
    };
    const onException = (refused: unknown) => settle({ refused });
    const onDisconnect = (closed: string) => settle({ closed });
    socket.on('exception', onException).on('disconnect', onDisconnect);
    socket.timeout(REPLY_TIMEOUT).emit(event, (err: Error | null, answer: unknown) => {
      if (err) reject(err);
      else settle({ answer });
    });
  });
}

/** Resolves the reason the next time a socket.io connection is closed. */
export function socketIoClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => socket.once('disconnect', resolve));
}

/** Opens a `ws` connection; resolves once open, rejects on an error or a refused upgrade. */
export function openWs(url: string, headers: HandshakeHeaders = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: headersOf(headers), handshakeTimeout: REPLY_TIMEOUT });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Resolves the close code and reason the next time a `ws` connection is closed. */
export function wsClosed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** Sends a message the way Nest's WsAdapter reads one, `{ event, data }`, and waits for the reply. */
export function askWs(ws: WebSocket, event: string, data?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no reply to '${event}' within ${REPLY_TIMEOUT} ms`));
    }, REPLY_TIMEOUT);
    const cleanup = () => {
      clearTimeout(timer);
      ws.off('message', onMessage).off('close', onClose);
    };
    const onMessage = (raw: Buffer) => {
      const reply = JSON.parse(raw.toString()) as { event: string; data: unknown };
      if (reply.event !== event && reply.event !== 'exception') return;
      cleanup();
      resolve(reply.event === event ? { answer: reply.data } : { refused: reply.data });
    };
    const onClose = (code: number) => {
      cleanup();
      resolve({ closed: String(code) });
    };
    ws.on('message', onMessage).on('close', onClose);
    ws.send(JSON.stringify({ event, data }));
  });
}

/**
 * Writes raw bytes to a server, as a broken or hostile client would, and resolves everything the
 * server sent back before it closed the connection (or within 3 s).
 */
export function rawExchange(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => socket.destroy(), 3_000);
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.write(bytes);
  });
}

/** A WebSocket upgrade request head, with whatever headers a test wants to break. */
export function upgradeRequest(path: string, headers: Record<string, string>): string {
  const lines = Object.entries({
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  }).map(([name, value]) => `${name}: ${value}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}
