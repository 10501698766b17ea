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
import type { FastifySessionOptions } from '@fastify/session';
import { RedisStore } from 'connect-redis';
import type { RedisClientType } from 'redis';
import type { Observable } from 'rxjs';

/**
 * The Fastify baseline: @fastify/session on connect-redis, as its README shows it, with
 * `saveUninitialized: false` and `rolling: true`, and the Express baselines' guard (a Redis
 * denylist checked with EXISTS on each request) and interceptor (the last activity recorded in
 * the session on each request). Registered with `app.register()` in serve.ts.
 */

// The fields of @fastify/session's Session this app uses (its own FastifyRequest augmentation
// would clash with @fastify/secure-session's in one compilation).
interface FastifySession {
  readonly sessionId: string;
  benchUser?: { id: string };
  lastActivity?: number;
  regenerate(): Promise<void>;
}
type SessionRequest = { session: FastifySession };

const REDIS_CLIENT = 'BENCH:FASTIFY_SESSION_REDIS';

@Injectable()
class DenylistGuard implements CanActivate {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: RedisClientType) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { session } = context.switchToHttp().getRequest<SessionRequest>();
    if (!session?.benchUser) throw new UnauthorizedException();
    if ((await this.redis.exists(`denylist:${session.sessionId}`)) === 1)
      throw new UnauthorizedException();
    return true;
  }
}

@Injectable()
class LastActivityInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { session } = context.switchToHttp().getRequest<SessionRequest>();
    if (session) session.lastActivity = Date.now();
    return next.handle();
  }
}

@Controller()
class FastifySessionController {
  @Post('login/:id')
  @HttpCode(200)
  async login(@Req() req: SessionRequest, @Param('id') id: string) {
    await req.session.regenerate(); // replaces req.session
    req.session.benchUser = { id };
    return { user: req.session.benchUser };
  }

  @Get('auth/me')
  @UseGuards(DenylistGuard)
  @UseInterceptors(LastActivityInterceptor)
  me(@Req() req: SessionRequest) {
    return { user: req.session.benchUser, lastActivity: req.session.lastActivity };
  }
}

/** @fastify/session's options: the Express baselines' (connect-redis, rolling, 30 min cookie). */
export function fastifySessionOptions(
  client: RedisClientType,
  secret: string,
): FastifySessionOptions {
  return {
    store: new RedisStore({ client }) as unknown as FastifySessionOptions['store'],
    secret,
    saveUninitialized: false,
    rolling: true,
    cookie: { secure: false, httpOnly: true, sameSite: 'lax', maxAge: 30 * 60 * 1000 },
  };
}

@Module({})
export class FastifySessionModule {
  static forRoot(client: RedisClientType): DynamicModule {
    return {
      module: FastifySessionModule,
      controllers: [FastifySessionController],
      providers: [{ provide: REDIS_CLIENT, useValue: client }, DenylistGuard],
    };
  }
}
