import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  Req,
  UnauthorizedException,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { RedisStore } from 'connect-redis';
import type { Request } from 'express';
import session from 'express-session';
import { SessionModule as NestjsSessionModule } from 'nestjs-session';
import type { RedisClientType } from 'redis';
import type { Observable } from 'rxjs';

/**
 * The baselines the benchmark compares against, written the way the express-session +
 * connect-redis tutorials and the nestjs-session README show them: `rolling: true`, a guard
 * that checks a Redis denylist with EXISTS on each request, an interceptor that records the
 * last activity in the session on each request.
 */

/** A request through express-session, with what the baselines keep in the session. */
export type BenchRequest = Request & {
  session: session.Session & { benchUser?: { id: string }; lastActivity?: number };
};

/** The baselines' login: a new session ID (express-session's `regenerate`), then the user. */
export async function regenerateWithUser(req: BenchRequest, id: string) {
  await new Promise<void>((resolve, reject) =>
    req.session.regenerate((err) => (err ? reject(err) : resolve())),
  );
  req.session.benchUser = { id };
  return { user: req.session.benchUser };
}

export const REDIS_CLIENT = 'BENCH:REDIS';

@Injectable()
class DenylistGuard implements CanActivate {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: RedisClientType) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<BenchRequest>();
    if (!req.session?.benchUser) throw new UnauthorizedException();
    if ((await this.redis.exists(`denylist:${req.sessionID}`)) === 1)
      throw new UnauthorizedException();
    return true;
  }
}

@Injectable()
class LastActivityInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<BenchRequest>();
    if (req.session) req.session.lastActivity = Date.now();
    return next.handle();
  }
}

@Controller()
class BaselineController {
  @Post('login/:id')
  @HttpCode(200)
  login(@Req() req: BenchRequest, @Param('id') id: string) {
    return regenerateWithUser(req, id);
  }

  @Get('auth/me')
  @UseGuards(DenylistGuard)
  @UseInterceptors(LastActivityInterceptor)
  me(@Req() req: BenchRequest) {
    return { user: req.session.benchUser, lastActivity: req.session.lastActivity };
  }
}

/** express-session options the baselines share, on their store (connect-redis, connect-pg-simple). */
export function baselineSessionOptions(
  store: session.Store,
  secret: string,
): session.SessionOptions {
  return {
    store,
    secret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 30 * 60 * 1000 },
  };
}

/** Baseline 2: express-session mounted by hand with app.use() (see serve.ts). */
@Module({})
export class UsualSetupModule {
  static forRoot(client: RedisClientType): DynamicModule {
    return {
      module: UsualSetupModule,
      controllers: [BaselineController],
      providers: [{ provide: REDIS_CLIENT, useValue: client }, DenylistGuard],
    };
  }
}

/** Baseline 3: the same app on the nestjs-session package. */
@Module({})
export class NestjsSessionSetupModule {
  static forRoot(client: RedisClientType, secret: string): DynamicModule {
    return {
      module: NestjsSessionSetupModule,
      // nestjs-session brings its own @nestjs/common 10 (its helper's peer range stops at 10),
      // hence the cast: this is how it installs in a NestJS 12 app.
      imports: [
        NestjsSessionModule.forRoot({
          session: baselineSessionOptions(new RedisStore({ client }), secret),
        }) as unknown as DynamicModule,
      ],
      controllers: [BaselineController],
      providers: [{ provide: REDIS_CLIENT, useValue: client }, DenylistGuard],
    };
  }
}

@Controller()
class SessionOnlyController {
  @Post('login/:id')
  @HttpCode(200)
  login(@Req() req: BenchRequest, @Param('id') id: string) {
    req.session.benchUser = { id };
    return { user: req.session.benchUser };
  }

  @Get('auth/me')
  me(@Req() req: BenchRequest) {
    if (!req.session.benchUser) throw new UnauthorizedException();
    return { user: req.session.benchUser };
  }
}

/** What express-session itself costs: its default in-memory store, no guard, no interceptor. */
@Module({ controllers: [SessionOnlyController] })
export class ExpressSessionOnlyModule {}

@Controller()
class CeilingController {
  @Get('auth/me')
  me() {
    return { user: { id: '1', username: 'alice' } };
  }
}

/** Baseline 1, the ceiling: the same route with no sessions at all. */
@Module({ controllers: [CeilingController] })
export class CeilingModule {}
