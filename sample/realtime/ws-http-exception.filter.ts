import { Catch, HttpException, type ArgumentsHost } from '@nestjs/common';
import { BaseWsExceptionFilter, WsException } from '@nestjs/websockets';

/**
 * Sends a message's HTTP refusal (the global ValidationPipe's 400, a guard's 401) to the client as
 * an `exception` with its body, `{ statusCode, message, error }`, as HTTP would answer it; Nest's
 * default turns anything but a WsException into "Internal server error".
 */
@Catch(HttpException)
export class WsHttpExceptionFilter extends BaseWsExceptionFilter {
  override catch(exception: HttpException, host: ArgumentsHost): void {
    super.catch(new WsException(exception.getResponse()), host);
  }
}
