import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { startSample, type SamplePlatformName, type SampleUnderTest } from './sample-app.js';

/** A TLS-terminating reverse proxy on loopback, as production puts in front of the app. */
export interface TlsProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves https://localhost:<port> with a throwaway self-signed certificate (made with the
 * openssl CLI) and forwards to `target` over http with `X-Forwarded-Proto: https`, keeping the
 * Host header, as nginx or a load balancer would.
 */
export async function startTlsProxy(target: { host: string; port: number }): Promise<TlsProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'nss-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const server: Server = createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (req, res) => {
      const upstream = httpRequest(
        {
          ...target,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, 'x-forwarded-proto': 'https' },
        },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    },
  );
  // WebSocket upgrades pass through as bytes, after their request head (with X-Forwarded-Proto).
  const tunnels = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const upstream = connect(target.port, target.host, () => {
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        headers.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(
        `${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\nX-Forwarded-Proto: https\r\n\r\n`,
      );
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    for (const end of [socket, upstream]) {
      tunnels.add(end);
      end.once('close', () => tunnels.delete(end));
    }
  });
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://localhost:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const tunnel of tunnels) tunnel.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Whether the openssl CLI is there to make the certificate. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The sample in production (always-Secure cookie, fresh secret) behind a TLS-terminating proxy. */
export interface SampleBehindProxy {
  sample: SampleUnderTest;
  proxy: TlsProxy;
  close(): Promise<void>;
}

/** Starts the sample in production behind a TLS proxy, on `platform` (else as `startSample`). */
export async function startProductionSampleBehindProxy(
  redisUrl: string,
  platform?: SamplePlatformName,
): Promise<SampleBehindProxy> {
  const sample = await startSample({
    SAMPLE_PLATFORM: platform,
    NODE_ENV: 'production',
    REDIS_URL: redisUrl,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    TRUST_PROXY: 'loopback',
  });
  await sample.app.listen(0, '127.0.0.1');
  const { port } = sample.app.getHttpServer().address() as AddressInfo;
  const proxy = await startTlsProxy({ host: '127.0.0.1', port });
  return {
    sample,
    proxy,
    close: async () => {
      await proxy.close();
      await sample.close();
    },
  };
}
