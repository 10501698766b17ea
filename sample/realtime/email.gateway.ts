import { UseFilters, type Type } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { RecentLogin, Session, type RequestSession } from 'nestjs-secure-session';
import { ChangeEmailDto } from '../auth/change-email.dto.js';
import { UsersService } from '../auth/users.service.js';
import { WsHttpExceptionFilter } from './ws-http-exception.filter.js';

/**
 * The `changeEmail` message (`{ email }`) on the `/realtime` namespace, as `POST /auth/email`:
 * answered `{ email }`, or, with a sign-in or re-authentication older than `recentLoginMs`,
 * refused with an `exception` whose `code` is REAUTHENTICATION_REQUIRED (one that is not an email
 * address: `statusCode` 400). Re-authenticating
 * gives the session a new ID, which ends the connections of the old one (close 4401): the page
 * connects again with the new cookie. Declared per app, as its window is configuration (see
 * `SampleConfig.recentLoginMs`), beside RealtimeGateway on the same namespace, whose middleware
 * admits the connections.
 */
export function emailGateway(recentLoginMs: number): Type {
  @WebSocketGateway({ namespace: 'realtime', transports: ['websocket'] })
  @UseFilters(WsHttpExceptionFilter)
  class EmailGateway {
    constructor(private readonly users: UsersService) {}

    @SubscribeMessage('changeEmail')
    @RecentLogin(recentLoginMs)
    changeEmail(
      @MessageBody() body: ChangeEmailDto,
      @Session() session: RequestSession,
    ): { email: string } {
      this.users.changeEmail(session.meta!.userId!, body.email);
      return { email: body.email };
    }
  }
  return EmailGateway;
}
