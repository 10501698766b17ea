import { connect } from 'node:net';

/** A request whose headers have been sent and whose body is held back. */
export interface HeldRequest {
  /** Sends the body; resolves the status code of the answer (0 when there was none). */
  release(): Promise<number>;
  /** Closes the connection without sending the body, as a client that gives up. */
  abort(): Promise<void>;
}

/**
 * Sends a request's headers now, with a Content-Length and a JSON content type, and holds its
 * body back: the server reads the headers (and loads the session) and waits for the body before
 * any guard or handler runs, as it would for a slow upload. Resolves once the headers are sent
 * and `settleMs` has passed for the server to read them.
 */
export async function holdRequest(
  port: number,
  method: string,
  path: string,
  cookie: string,
  { body = '{}', settleMs = 300 }: { body?: string; settleMs?: number } = {},
): Promise<HeldRequest> {
  const socket = connect(port, '127.0.0.1');
  let reply = '';
  socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
  // A reset after the reply (the server closing first) still leaves the reply to read on close.
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0))),
  );
  const head = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Cookie: ${cookie}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  await new Promise<void>((resolve) =>
    socket.write(`${head.join('\r\n')}\r\n\r\n`, () => resolve()),
  );
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  if (reply) throw new Error(`answered before its body was sent: ${reply.split('\r\n')[0]}`);
  return {
    release: () => {
      socket.setTimeout(10_000, () => socket.destroy());
      socket.write(body);
      return closed;
    },
    abort: async () => {
      socket.destroy();
      await closed;
    },
  };
}
