import {
  BadRequestException,
  Catch,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ReauthenticationRequiredException } from 'nestjs-secure-session';

/**
 * The account page's "Change email" form answers its refusals as a browser needs them, with a
 * redirect: a sign-in too old for the change (`@RecentLogin()`) to "Confirm your password"; an
 * address that is not one back to /account with a fixed message (nothing typed is echoed).
 */
@Catch(ReauthenticationRequiredException, BadRequestException)
export class EmailFormRedirectFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: ReauthenticationRequiredException | BadRequestException, host: ArgumentsHost) {
    const url =
      exception instanceof ReauthenticationRequiredException
        ? '/account/confirm-password'
        : '/account?error=email-invalid';
    this.adapterHost.httpAdapter.redirect(host.switchToHttp().getResponse(), 303, url);
  }
}
