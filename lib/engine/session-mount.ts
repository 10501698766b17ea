import type { Server } from 'node:http';
import type { HttpAdapterHost } from '@nestjs/core';
import { Logger } from '@nestjs/common';
import { errorMessage } from '../session.errors.js';
import { trackHandshakes, type HandshakeInspector } from './handshake-requests.js';
import { LiveConnections } from './live-connections.js';
import type { RequestsInFlight } from './requests-in-flight.js';
import type { SessionHandler } from './session-handler.js';

/**
 * @internal Puts the session handling on the app's HTTP adapter, once, as early as it can: when
 * the app is created (NestFactory.create), so it runs before any middleware main.ts adds with
 * `app.use()`; or, for an app built with `Test.createTestingModule()`, whose adapter comes later,
 * when the module's middleware is configured at `app.init()`.
 */
export class SessionMount {
  private mounted = false;

  constructor(
    private readonly handler: SessionHandler,
    private readonly host: HttpAdapterHost,
    private readonly inspector: HandshakeInspector & {
      deadlineOf(handle: string): Promise<number | undefined>;
      onSessionEnded(listener: (handle: string) => void): Promise<void>;
    },
    private readonly inFlight: RequestsInFlight,
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
      .onSessionEnded((handle) => {
        this.inFlight.ended(handle);
        live?.close(handle);
      })
      .catch((err: unknown) => {
        this.logger.error(`Cannot hear of sessions ended elsewhere: ${errorMessage(err)}`);
      });
    // An upgrade request never passes through Express: its `req.secure` (which honours `trust
    // proxy`) is read through Express's request prototype.
    const requestPrototype = this.host.httpAdapter.getInstance<{ request: object }>().request;
    if (server && live) trackHandshakes(server, this.inspector, live, requestPrototype);
  }

  mountIfReady(): void {
    const adapter = this.host?.httpAdapter;
    if (this.mounted || !adapter) return;
    const type = adapter.getType();
    if (type !== 'express') {
      throw new Error(
        `SessionModule supports the Express platform (@nestjs/platform-express); this app runs on '${type}'`,
      );
    }
    adapter.use(this.handler.handle);
    definesSessionId(adapter.getInstance<{ request: object }>().request);
    this.mounted = true;
  }
}

// `req.sessionID`, as express-session has it, read from the session on Express's request
// prototype: no property of its own on each request.
function definesSessionId(requestPrototype: object): void {
  if (Object.hasOwn(requestPrototype, 'sessionID')) return;
  Object.defineProperty(requestPrototype, 'sessionID', {
    configurable: true,
    get(this: { session?: { id?: string } }) {
      return this.session?.id || undefined;
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, 'sessionID', { value, writable: true, configurable: true });
    },
  });
}
