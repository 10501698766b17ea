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
  me(@Session('meta') meta: { userId?: string }) {
    return { user: { id: meta.userId } };
  }

  @Get('auth/sessions')
  list(@Session('meta') meta: { userId: string }, @Req() req: Request) {
    return this.sessions.list(meta.userId, req);
  }

  @Post('auth/revoke-all')
  @HttpCode(200)
  async revokeAll(@Session('meta') meta: { userId: string }) {
    return { revoked: await this.sessions.revokeAll(meta.userId) };
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
