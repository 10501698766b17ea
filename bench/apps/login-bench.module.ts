import {
  Controller,
  Get,
  HttpCode,
  Module,
  Param,
  Post,
  Req,
  type DynamicModule,
} from '@nestjs/common';
import type { Request } from 'express';
import {
  Public,
  Session,
  SessionModule,
  SessionService,
  type RequestSession,
  type SessionModuleOptions,
} from '../../lib/index.js';

/**
 * A benchmark app on the library: the sample's session work (login binding a user, a read-only
 * authenticated route) without the sample's scrypt password check, which would dominate.
 */
@Controller()
class BenchController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login/:id')
  @HttpCode(200)
  async login(@Req() req: Request, @Param('id') id: string) {
    const user = { id, username: `user-${id}` };
    await this.sessions.login(req, id, { data: { user } as never });
    return { user };
  }

  @Get('auth/me')
  me(@Session() session: RequestSession) {
    return { user: { id: session.meta!.userId } };
  }

  @Get('auth/sessions')
  list(@Session() session: RequestSession, @Req() req: Request) {
    return this.sessions.list(session.meta!.userId!, req);
  }

  @Post('auth/revoke-all')
  @HttpCode(200)
  async revokeAll(@Session() session: RequestSession) {
    return { revoked: await this.sessions.revokeAll(session.meta!.userId!) };
  }
}

@Module({})
export class LoginBenchModule {
  static forRoot(options: SessionModuleOptions): DynamicModule {
    return {
      module: LoginBenchModule,
      imports: [SessionModule.forRoot({ globalGuard: true, ...options })],
      controllers: [BenchController],
    };
  }
}
