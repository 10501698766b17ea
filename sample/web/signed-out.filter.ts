import {
  Catch,
  UnauthorizedException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Response } from 'express';

/**
 * A form posted without a live session (signed out, revoked or expired meanwhile) answers like
 * the others, with a redirect: to /account, which says "Signed out" (401). A JSON API client gets
 * the 401 itself; a browser without JavaScript would show it as raw JSON.
 */
@Catch(UnauthorizedException)
export class SignedOutRedirectFilter implements ExceptionFilter<UnauthorizedException> {
  catch(_exception: UnauthorizedException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().redirect(303, '/account');
  }
}
