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
import { signedOutPage, signInPage } from './pages.js';

/**
 * The pages a browser sees: sign in at `/`, the signed-in account page at `/account`. Their forms
 * post to WebFormsController (and `/cart/add`).
 */
@Public()
@Controller()
export class WebController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  // `error` is a fixed code a failed form redirects with (`/?error=sign-in-failed`), shown as a
  // fixed message; nothing the user typed comes back.
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  signIn(@Session('cart') cart: string[] | undefined, @Query('error') error: unknown): string {
    return signInPage(cart ?? [], [...DEMO_USERS], typeof error === 'string' ? error : undefined);
  }

  // Rendered per session, never cached (the session middleware sends Cache-Control: no-store),
  // so after sign-out the back button shows the signed-out page, not the account.
  @Get('account')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async account(
    @Session() session: RequestSession,
    @Req() req: SessionRequest,
    @Res({ passthrough: true }) res: HttpReply,
  ): Promise<string> {
    const user = this.users.byId(session.meta?.userId);
    if (!user) {
      res.status(401);
      return signedOutPage;
    }
    const sessions = await this.sessions.list(user.id, req);
    return accountPage(user.username, session.cart ?? [], sessions);
  }
}
