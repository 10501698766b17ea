import type { Server } from 'node:http';
import type { HttpAdapterHost } from '@nestjs/core';
import { Logger } from '@nestjs/common';
import { errorMessage } from '../session.errors.js';
import { trackHandshakes, type HandshakeInspector } from './handshake-requests.js';
import { LiveConnections } from './live-connections.js';
import type { RequestsInFlight } from './requests-in-flight.js';
import type { RouteScope } from './route-scope.js';
import type { SessionHandler } from './session-handler.js';
import { sessionPlatformOf, type SessionPlatform } from '../platforms/session-platform.js';

/**
 * @internal Puts the session handling on the app's HTTP adapter, once, as early as it can: when
 * the app is created (NestFactory.create), so it runs before any middleware main.ts adds with
 * `app.use()`; or, for an app built with `Test.createTestingModule()`, whose adapter comes later,
 * when the module's middleware is configured at `app.init()`.
 */
export class SessionMount {
  private platform?: SessionPlatform;

  constructor(
    private readonly handler: SessionHandler,
    private readonly host: HttpAdapterHost,
    private readonly inspector: HandshakeInspector & {
      deadlineOf(handle: string): Promise<number | undefined>;
      onSessionEnded(ended: (handle: string) => void, resubscribed: () => void): Promise<void>;
    },
    private readonly inFlight: RequestsInFlight,
    private readonly scope: RouteScope,
  ) {}

  private readonly logger = new Logger('SessionModule');

  /**
   * Once the HTTP server exists (at bootstrap): follows its WebSocket handshakes; and, with one
   * subscription, hears of every session that ends, on this instance or another sharing the store,
   * to mark its requests in flight and close its connections.
   */
  followHandshakes(): void {
    const server = this.host?.httpAdapter?.getHttpServer() as Server | undefined;
    const live = server && new LiveConnections((handle) => this.inspector.deadlineOf(handle));
    this.inspector
      .onSessionEnded(
        (handle) => {
          this.inFlight.ended(handle);
          live?.close(handle);
        },
        // Sessions may have ended unheard: each connection's session is read again.
        () => live?.recheckAll(),
      )
      .catch((err: unknown) => {
        this.logger.error(`Cannot hear of sessions ended elsewhere: ${errorMessage(err)}`);
      });
    // An upgrade request never passes through the platform: it is seen through the platform's
    // request prototype where there is one (Express's `req.secure` honours `trust proxy`).
    if (server && live) {
      trackHandshakes(server, this.inspector, live, this.platform?.requestPrototype);
    }
  }

  mountIfReady(): void {
    const adapter = this.host?.httpAdapter;
    if (this.platform || !adapter) return;
    this.platform = sessionPlatformOf(adapter);
    this.scope.matchCase(this.platform.caseSensitiveRoutes);
    this.platform.mount(this.handler);
  }
}
