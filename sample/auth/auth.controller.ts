import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { Session, SessionService, type RequestSession } from 'nestjs-secure-session';
import { LoginDto } from './login.dto.js';
import { UsersService, type AuthenticatedUser } from './users.service.js';

/** Login, logout and the current user. */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Req() req: Request): Promise<{ user: AuthenticatedUser }> {
    const user = await this.users.verify(body.username, body.password);
    if (!user) throw new UnauthorizedException('Invalid username or password');
    // A new session ID on login: an ID planted before login never becomes authenticated.
    await this.sessions.regenerate(req, { keep: ['cart'] });
    req.session.user = user;
    await this.sessions.save(req);
    return { user };
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.destroy(req, res);
  }

  @Get('me')
  me(@Session() session: RequestSession, @Req() req: Request) {
    const info = this.sessions.info(req);
    if (!session.user || !info) throw new UnauthorizedException('Not logged in');
    return { user: session.user, session: info };
  }
}
