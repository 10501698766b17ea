import { Body, Controller, Post, Redirect, UseFilters, UseGuards, type Type } from '@nestjs/common';
import { CsrfTokenGuard, RecentLogin, Session, type RequestSession } from 'nestjs-secure-session';
import { UsersService } from '../auth/users.service.js';
import { EmailFormRedirectFilter } from './email-form.filter.js';
import { ChangeEmailForm } from './forms.dto.js';
import { SignedOutRedirectFilter } from './signed-out.filter.js';

/**
 * The account page's "Change email" form, `POST /account/email` (as `POST /auth/email`): with a
 * sign-in or password confirmation within `recentLoginMs` it changes the email and goes back to
 * /account; otherwise (`@RecentLogin()`) to "Confirm your password", whose form comes back to
 * /account once confirmed. Declared per app, as its window is configuration (see
 * `SampleConfig.recentLoginMs`). CsrfTokenGuard, on the class, runs before `@RecentLogin()`.
 */
export function emailFormController(recentLoginMs: number): Type {
  @Controller('account')
  @UseGuards(CsrfTokenGuard)
  @UseFilters(SignedOutRedirectFilter, EmailFormRedirectFilter)
  class EmailFormController {
    constructor(private readonly users: UsersService) {}

    @Post('email')
    @RecentLogin(recentLoginMs)
    @Redirect('/account', 303)
    changeEmail(@Body() body: ChangeEmailForm, @Session() session: RequestSession): void {
      this.users.changeEmail(session.meta!.userId!, body.email);
    }
  }
  return EmailFormController;
}
