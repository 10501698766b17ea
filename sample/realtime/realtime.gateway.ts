import {
  ConnectedSocket,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { Public, Session, SessionService, type RequestSession } from 'nestjs-secure-session';
import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';

/** What the sample keeps on a connection: the handle of the session it opened with. */
interface ConnectionData {
  sessionHandle: string;
}

type Connection = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, ConnectionData>;
type Connections = Namespace<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, ConnectionData>;

/** `whoami`'s answer: the connection's user and session handle. */
export interface WhoAmI {
  user: { id: string };
  session: { id: string };
}

/**
 * The sample's socket.io namespace `/realtime`, on the app's own HTTP server (so the handshake
 * carries the session cookie). A connection opens only from this site with a logged-in session
 * (SessionService.acceptConnection); then every message but the `@Public()` ones passes the app's global
 * RevokedSessionGuard, which reads the session from the store again. When the session is logged
 * out, revoked or expires, on any instance, the module closes its connections (close code 4401,
 * "Session ended").
 *
 * WebSocket only, no long-polling: a connection is one request, the handshake whose cookie and
 * Origin were checked, and instances behind a load balancer need no sticky sessions.
 */
@WebSocketGateway({ namespace: 'realtime', transports: ['websocket'] })
export class RealtimeGateway implements OnGatewayInit<Connections> {
  constructor(private readonly sessions: SessionService) {}

  afterInit(connections: Connections): void {
    // socket.io middleware runs before a connection is accepted: a refused client gets a
    // `connect_error` and no handler ever sees it.
    connections.use((client, next) => {
      void this.sessions.acceptConnection(client.request).then((session) => {
        if (!session) return next(new Error('Unauthorized'));
        client.data.sessionHandle = session.id;
        next();
      });
    });
  }

  @SubscribeMessage('whoami')
  whoami(@Session() session: RequestSession, @ConnectedSocket() client: Connection): WhoAmI {
    return {
      user: { id: session.meta!.userId! },
      session: { id: client.data.sessionHandle },
    };
  }

  @Public()
  @SubscribeMessage('ping')
  ping(): string {
    return 'pong';
  }
}
