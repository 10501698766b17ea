import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import {
  Public,
  Session,
  SessionService,
  type RequestSession,
  type SessionInfo,
  type SessionListing,
  type SessionRequest,
} from 'nestjs-secure-session';
import { LoginDto } from './login.dto.js';
import { ReauthenticateDto } from './reauthenticate.dto.js';
import { UsersService, type AuthenticatedUser } from './users.service.js';

/**
 * Login, logout, the current user and their sessions. Every route here is behind the global
 * RevokedSessionGuard (see AppModule) unless marked @Public().
 */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: LoginDto,
    @Req() req: SessionRequest,
  ): Promise<{ user: AuthenticatedUser }> {
    const user = await this.users.verify(body.username, body.password);
    if (!user) throw new UnauthorizedException('Invalid username or password');
    // New session ID (no fixation), the anonymous cart carried over, the user bound and indexed.
    // The session keeps only the user's ID (as its bound user), so a full cart still fits.
    await this.sessions.login(req, user.id, { keep: ['cart'] });
    return { user };
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: SessionRequest): Promise<void> {
    await this.sessions.logout(req);
  }

  /**
   * "Confirm your password" before a sensitive action (`@RecentLogin()`, e.g. `POST /auth/email`):
   * the session gets a new ID, keeps its data, and counts as freshly signed in.
   */
  @Post('reauthenticate')
  @HttpCode(204)
  async reauthenticate(
    @Body() body: ReauthenticateDto,
    @Session() session: RequestSession,
    @Req() req: SessionRequest,
  ): Promise<void> {
    if (!(await this.users.confirmPassword(session.meta?.userId, body.password)))
      throw new UnauthorizedException('Invalid password');
    await this.sessions.reauthenticate(req);
  }

  @Get('me')
  me(
    @Session() session: RequestSession,
    @Req() req: SessionRequest,
  ): { user: AuthenticatedUser; session: SessionInfo } {
    const user = this.users.byId(session.meta?.userId);
    if (!user) throw new UnauthorizedException();
    return { user, session: this.sessions.info(req)! };
  }

  @Get('sessions')
  list(@Session() session: RequestSession, @Req() req: SessionRequest): Promise<SessionListing[]> {
    return this.sessions.list(session.meta!.userId!, req);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  async revoke(@Session() session: RequestSession, @Param('id') handle: string): Promise<void> {
    if (!(await this.sessions.revoke(session.meta!.userId!, handle)))
      throw new NotFoundException('No such session');
  }

  @Delete('sessions')
  @HttpCode(204)
  async revokeOthers(@Req() req: SessionRequest): Promise<void> {
    await this.sessions.revokeOthers(req);
  }
}
