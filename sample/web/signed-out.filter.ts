import {
  Catch,
  UnauthorizedException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * A form posted without a live session (signed out, revoked or expired meanwhile) answers like
 * the others, with a redirect: to /account, which says "Signed out" (401). A JSON API client gets
 * the 401 itself; a browser without JavaScript would show it as raw JSON.
 */
@Catch(UnauthorizedException)
export class SignedOutRedirectFilter implements ExceptionFilter<UnauthorizedException> {
  // The platform's adapter redirects on Express and Fastify alike (their own `redirect` methods
  // take the status and the URL in opposite orders).
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(_exception: UnauthorizedException, host: ArgumentsHost): void {
    this.adapterHost.httpAdapter.redirect(host.switchToHttp().getResponse(), 303, '/account');
  }
}
