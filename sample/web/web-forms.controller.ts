import { Body, Controller, Post, Redirect, Req, UseFilters } from '@nestjs/common';
import {
  Public,
  Session,
  SessionService,
  type RequestSession,
  type SessionRequest,
} from 'nestjs-secure-session';
import { LoginDto } from '../auth/login.dto.js';
import { UsersService } from '../auth/users.service.js';
import { RevokeSessionDto } from './revoke-session.dto.js';
import { SignedOutRedirectFilter } from './signed-out.filter.js';

/**
 * What the pages' forms post to (`application/x-www-form-urlencoded`), each answering with a 303
 * redirect to a page, so the pages work without JavaScript and a reload never posts again. They
 * go through the same SessionService calls as the JSON API (AuthController) and, like every
 * POST, SameOriginGuard: a form posted from another site is refused (403).
 */
@Controller()
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
    @Body() body: LoginDto,
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
