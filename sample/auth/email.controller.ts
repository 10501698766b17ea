import { Body, Controller, HttpCode, Post, type Type } from '@nestjs/common';
import { RecentLogin, Session, type RequestSession } from 'nestjs-secure-session';
import { ChangeEmailDto } from './change-email.dto.js';
import { UsersService } from './users.service.js';

/**
 * `POST /auth/email`: changes the signed-in user's email, a sensitive action. The user must have
 * signed in or confirmed their password (`POST /auth/reauthenticate`) within `recentLoginMs`, or
 * the answer is 403 with `code: 'REAUTHENTICATION_REQUIRED'`. Declared per app, as its window is
 * configuration (see `SampleConfig.recentLoginMs`).
 */
export function emailController(recentLoginMs: number): Type {
  @Controller('auth')
  class EmailController {
    constructor(private readonly users: UsersService) {}

    @Post('email')
    @RecentLogin(recentLoginMs)
    @HttpCode(200)
    changeEmail(
      @Body() body: ChangeEmailDto,
      @Session() session: RequestSession,
    ): { email: string } {
      this.users.changeEmail(session.meta!.userId!, body.email);
      return { email: body.email };
    }
  }
  return EmailController;
}
