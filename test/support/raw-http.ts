import { connect } from 'node:net';

/**
 * Sends one HTTP/1.1 request over a raw socket, so header bytes that Node's HTTP client refuses
 * (control characters, invalid UTF-8) reach the server as sent. Resolves the status code, or 0
 * when the server closed the connection without one.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  cookie: string,
  body = '',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${method} ${path} within 10 s`));
    });
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    // A reset after the reply (the server closing first) still leaves the reply to read on close.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)));
    const head = [
      `${method} ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      `Cookie: ${cookie}`,
      'Connection: close',
      ...(body
        ? ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`]
        : []),
    ];
    // write, not end: Node's HTTP server drops a half-closed connection before a slow reply.
    // `Connection: close` has the server close it once it has answered.
    socket.write(
      Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body)]),
    );
  });
}
