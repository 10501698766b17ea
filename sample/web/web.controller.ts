import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public, Session, type RequestSession } from 'nestjs-secure-session';
import { UsersService } from '../auth/users.service.js';
import { accountPage, signedOutPage, signInPage } from './pages.js';

/** The pages a browser sees: sign in at `/`, the signed-in account page at `/account`. */
@Public()
@Controller()
export class WebController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  signIn(): string {
    return signInPage;
  }

  // Rendered per session, never cached (the session middleware sends Cache-Control: no-store),
  // so after sign-out the back button shows the signed-out page, not the account.
  @Get('account')
  @Header('Content-Type', 'text/html; charset=utf-8')
  account(@Session() session: RequestSession, @Res({ passthrough: true }) res: Response): string {
    const user = this.users.byId(session.meta?.userId);
    if (!user) {
      res.status(401);
      return signedOutPage;
    }
    return accountPage(user.username, session.cart ?? []);
  }
}
