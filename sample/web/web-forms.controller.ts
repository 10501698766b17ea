import { Body, Controller, Post, Redirect, Req, UseFilters, UseGuards } from '@nestjs/common';
import {
  CsrfTokenGuard,
  Public,
  Session,
  SessionService,
  type RequestSession,
  type SessionRequest,
} from 'nestjs-secure-session';
import { UsersService } from '../auth/users.service.js';
import { ConfirmPasswordForm, SignInForm } from './forms.dto.js';
import { RevokeSessionDto } from './revoke-session.dto.js';
import { SignedOutRedirectFilter } from './signed-out.filter.js';

/**
 * What the pages' forms post to (`application/x-www-form-urlencoded`), each answering with a 303
 * redirect to a page, so the pages work without JavaScript and a reload never posts again. They
 * go through the same SessionService calls as the JSON API (AuthController) and, like every
 * POST, SameOriginGuard: a form posted from another site is refused (403). Each also needs the
 * session's CSRF token the page put in the form (`_csrf`), or gets 403 from CsrfTokenGuard.
 */
@Controller()
@UseGuards(CsrfTokenGuard)
export class WebFormsController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  /** Signs in and goes to /account; a failure goes back to `/?error=sign-in-failed`. */
  @Public()
  @Post('sign-in')
  @Redirect('/account', 303)
  async signIn(
    @Body() body: SignInForm,
    @Req() req: SessionRequest,
  ): Promise<{ url: string } | undefined> {
    const user = await this.users.verify(body.username, body.password);
    if (!user) return { url: '/?error=sign-in-failed' };
    // As POST /auth/login: a new session ID, the anonymous cart carried over, the user bound.
    await this.sessions.login(req, user.id, { keep: ['cart'] });
    return undefined;
  }

  /** Signs out (as POST /auth/logout) and goes to the sign-in page. */
  @Public()
  @Post('sign-out')
  @Redirect('/', 303)
  async signOut(@Req() req: SessionRequest): Promise<void> {
    await this.sessions.logout(req);
  }

  /**
   * The "Confirm your password" form (as POST /auth/reauthenticate): the session gets a new ID and
   * counts as freshly signed in, then back to /account; a wrong password goes back to the form
   * with `?error=confirm-failed`.
   */
  @Post('account/confirm-password')
  @Redirect('/account', 303)
  @UseFilters(SignedOutRedirectFilter)
  async confirmPassword(
    @Body() body: ConfirmPasswordForm,
    @Session() session: RequestSession,
    @Req() req: SessionRequest,
  ): Promise<{ url: string } | undefined> {
    if (!(await this.users.confirmPassword(session.meta?.userId, body.password)))
      return { url: '/account/confirm-password?error=confirm-failed' };
    await this.sessions.reauthenticate(req);
    return undefined;
  }

  /**
   * Revokes one of the user's other sessions, named by the handle `list()` shows (in the body,
   * never the URL). An unknown handle, or another user's, changes nothing.
   */
  @Post('account/sessions/revoke')
  @Redirect('/account', 303)
  @UseFilters(SignedOutRedirectFilter)
  async revoke(@Session() session: RequestSession, @Body() body: RevokeSessionDto): Promise<void> {
    await this.sessions.revoke(session.meta!.userId!, body.id);
  }

  /** "Sign out everywhere else": revokes every session of the user but this one. */
  @Post('account/sessions/revoke-others')
  @Redirect('/account', 303)
  @UseFilters(SignedOutRedirectFilter)
  async revokeOthers(@Req() req: SessionRequest): Promise<void> {
    await this.sessions.revokeOthers(req);
  }
}
