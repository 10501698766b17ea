import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { HeadersMiddleware } from '../web/security-headers.js';

/**
 * Nest's socket.io adapter, with the app's security headers on the HTTP responses socket.io sends
 * itself: its client script (/socket.io/socket.io.js) and its handshake refusals. socket.io
 * answers those on the HTTP server before Express, and so before any Express middleware, runs.
 */
export class SecureIoAdapter extends IoAdapter {
  private headersAdded = false;

  constructor(
    app: INestApplicationContext,
    private readonly securityHeaders: HeadersMiddleware,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, options);
    const httpServer = this.httpServer as HttpServer | undefined;
    if (httpServer && !this.headersAdded) {
      this.headersAdded = true;
      const prefix = `${(options?.path ?? '/socket.io').replace(/\/$/, '')}/`;
      // First among the server's request listeners, now that socket.io has put its own there.
      httpServer.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
        if (req.url?.startsWith(prefix)) this.securityHeaders(req, res, () => {});
      });
    }
    return server;
  }
}
