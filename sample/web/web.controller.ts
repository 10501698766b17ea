import { Controller, Get, Header, Query, Req, Res } from '@nestjs/common';
import {
  Public,
  Session,
  SessionService,
  type RequestSession,
  type SessionRequest,
} from 'nestjs-secure-session';
import { DEMO_USERS, UsersService } from '../auth/users.service.js';
import { accountPage } from './account-page.js';
import type { HttpReply } from './http-reply.js';
import { confirmPasswordPage, signedOutPage, signInPage } from './pages.js';

/**
 * The pages a browser sees: sign in at `/`, the signed-in account page at `/account`, and
 * "Confirm your password" at `/account/confirm-password`. Their forms post to WebFormsController
 * (and `/cart/add`, `/account/email`), each with the session's CSRF token.
 */
@Public()
@Controller()
export class WebController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  // `error` is a fixed code a failed form redirects with (`/?error=sign-in-failed`), shown as a
  // fixed message; nothing the user typed comes back. The CSRF token gives a first-time visitor
  // the session cookie it is bound to, and stores nothing.
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  signIn(
    @Session('cart') cart: string[] | undefined,
    @Query('error') error: unknown,
    @Req() req: SessionRequest,
  ): string {
    const csrf = this.sessions.csrfToken(req);
    return signInPage(cart ?? [], [...DEMO_USERS], csrf, codeOf(error));
  }

  // Rendered per session, never cached (the session middleware sends Cache-Control: no-store),
  // so after sign-out the back button shows the signed-out page, not the account.
  @Get('account')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async account(
    @Session() session: RequestSession,
    @Query('error') error: unknown,
    @Req() req: SessionRequest,
    @Res({ passthrough: true }) res: HttpReply,
  ): Promise<string> {
    const user = this.users.byId(session.meta?.userId);
    if (!user) {
      res.status(401);
      return signedOutPage;
    }
    return accountPage({
      username: user.username,
      email: this.users.emailOf(user.id)!,
      items: session.cart ?? [],
      sessions: await this.sessions.list(user.id, req),
      csrf: this.sessions.csrfToken(req),
      errorCode: codeOf(error),
    });
  }

  @Get('account/confirm-password')
  @Header('Content-Type', 'text/html; charset=utf-8')
  confirmPassword(
    @Session() session: RequestSession,
    @Query('error') error: unknown,
    @Req() req: SessionRequest,
    @Res({ passthrough: true }) res: HttpReply,
  ): string {
    const user = this.users.byId(session.meta?.userId);
    if (!user) {
      res.status(401);
      return signedOutPage;
    }
    return confirmPasswordPage(user.username, this.sessions.csrfToken(req), codeOf(error));
  }
}

const codeOf = (error: unknown) => (typeof error === 'string' ? error : undefined);
