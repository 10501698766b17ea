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
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  Public,
  Session,
  SessionService,
  type SessionInfo,
  type SessionListing,
} from 'nestjs-secure-session';
import { LoginDto } from './login.dto.js';
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
  async login(@Body() body: LoginDto, @Req() req: Request): Promise<{ user: AuthenticatedUser }> {
    const user = await this.users.verify(body.username, body.password);
    if (!user) throw new UnauthorizedException('Invalid username or password');
    // New session ID (no fixation), the anonymous cart carried over, the user bound and indexed.
    await this.sessions.login(req, user.id, { keep: ['cart'], data: { user } });
    return { user };
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.logout(req, res);
  }

  @Get('me')
  me(
    @Session('user') user: AuthenticatedUser,
    @Req() req: Request,
  ): { user: AuthenticatedUser; session: SessionInfo } {
    return { user, session: this.sessions.info(req)! };
  }

  @Get('sessions')
  list(@Session('user') user: AuthenticatedUser, @Req() req: Request): Promise<SessionListing[]> {
    return this.sessions.list(user.id, req);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  async revoke(
    @Session('user') user: AuthenticatedUser,
    @Param('id') handle: string,
  ): Promise<void> {
    if (!(await this.sessions.revoke(user.id, handle)))
      throw new NotFoundException('No such session');
  }

  @Delete('sessions')
  @HttpCode(204)
  async revokeOthers(@Req() req: Request): Promise<void> {
    await this.sessions.revokeOthers(req);
  }
}
