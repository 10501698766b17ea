import {
  Body,
  Controller,
  Get,
  HttpCode,
  Injectable,
  Module,
  Post,
  Req,
  Res,
  UnauthorizedException,
  UseGuards,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportSerializer, PassportStrategy } from '@nestjs/passport';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response as ExpressResponse } from 'express';
import passport from 'passport';
import { Strategy } from 'passport-local';
import request from 'supertest';
import type { Response } from 'supertest';
import {
  Public,
  SessionModule,
  SessionService,
  type SessionListing,
  type SessionModuleOptions,
} from '../../lib/index.js';

/*
 * An app that logs in with Passport the way the NestJS docs wire it with sessions: a local
 * strategy, a guard that calls `super.logIn()`, a serializer that keeps the user's id in the
 * session, and `passport.session()` restoring `req.user` on every request. The session under it
 * is this module's, in place of express-session.
 */

/** A demo user, as the strategy verifies it and the serializer restores it. */
export interface DemoUser {
  id: string;
  username: string;
}

/**
 * The demo users; each one's password is `<username>-password`. A constant, because Passport is
 * one instance per process: every app started in a test file adds its serializer to it, and the
 * first one added answers for all of them.
 */
export const DEMO_USERS: readonly DemoUser[] = [
  { id: '1', username: 'alice' },
  { id: '2', username: 'bob' },
];

/** Users disabled since they logged in: deserializeUser no longer knows them. */
export const DISABLED_USER_IDS = new Set<string>();

@Injectable()
class LocalStrategy extends PassportStrategy(Strategy) {
  validate(username: string, password: string): DemoUser {
    const user = DEMO_USERS.find((u) => u.username === username);
    if (!user || password !== `${username}-password`) throw new UnauthorizedException();
    return user;
  }
}

@Injectable()
class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const result = (await super.canActivate(context)) as boolean;
    await super.logIn(context.switchToHttp().getRequest<Request>());
    return result;
  }
}

@Injectable()
class SessionSerializer extends PassportSerializer {
  serializeUser(user: DemoUser, done: (err: Error | null, id?: string) => void): void {
    done(null, user.id);
  }

  deserializeUser(id: string, done: (err: Error | null, user?: DemoUser | false) => void): void {
    const user = DISABLED_USER_IDS.has(id) ? undefined : DEMO_USERS.find((u) => u.id === id);
    done(null, user ?? false);
  }
}

// Passport types `req.user` as an empty interface; in this app it is a DemoUser.
const userOf = (req: Request) => req.user as DemoUser;

@Controller()
class PassportController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @UseGuards(LocalAuthGuard)
  @Post('login')
  @HttpCode(200)
  login(@Req() req: Request): DemoUser {
    return userOf(req);
  }

  @Get('profile')
  profile(@Req() req: Request): DemoUser {
    return userOf(req);
  }

  @Get('sessions')
  list(@Req() req: Request): Promise<SessionListing[]> {
    return this.sessions.list(userOf(req).id, req);
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  logout(@Req() req: Request): Promise<void> {
    return new Promise((resolve, reject) => req.logout((err) => (err ? reject(err) : resolve())));
  }

  /** As express-session code often has it: the redirect does not wait for the logout. */
  @Public()
  @Post('logout-and-redirect')
  logoutAndRedirect(@Req() req: Request, @Res() res: ExpressResponse): void {
    req.logout(() => undefined);
    res.redirect(303, '/');
  }

  /** Something an anonymous visitor keeps in the session, which gets them a session cookie. */
  @Public()
  @Post('theme')
  @HttpCode(204)
  theme(@Req() req: Request, @Body('theme') theme = 'dark'): void {
    Object.assign(req.session, { theme });
  }

  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

/** The second documented wiring: `passport.session()` as a module's middleware. */
@Module({})
class PassportSessionMiddlewareModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(passport.session()).forRoutes('{*path}');
  }
}

/** Where `passport.session()` is applied: main.ts's `app.use()`, or a module's `configure()`. */
export type PassportWiring = 'main.ts' | 'a module';

/** How to start the app. */
export interface PassportAppOptions {
  wiring: PassportWiring;
  secret: string;
  /** The Redis the sessions live in; the memory store without it. */
  redis?: { url: string; prefix: string };
  maxSessionsPerUser?: number;
  /** More SessionModule options, over the ones above. */
  session?: SessionModuleOptions;
}

@Module({})
class PassportAppModule {
  static forRoot(options: PassportAppOptions): DynamicModule {
    const { wiring, secret, redis, maxSessionsPerUser, session } = options;
    return {
      module: PassportAppModule,
      imports: [
        SessionModule.forRoot({
          secret,
          cookie: { secure: false },
          globalGuard: true,
          ...(redis && { redis }),
          ...(maxSessionsPerUser !== undefined && { maxSessionsPerUser }),
          ...session,
        }),
        PassportModule.register({ session: true }),
        ...(wiring === 'a module' ? [PassportSessionMiddlewareModule] : []),
      ],
      controllers: [PassportController],
      providers: [LocalStrategy, LocalAuthGuard, SessionSerializer],
    };
  }
}

/** A running Passport app and a supertest client for it. */
export interface PassportAppUnderTest {
  app: INestApplication;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/** Creates the app as a main.ts does (NestFactory, then its `app.use()` calls), initialised. */
export async function startPassportApp(options: PassportAppOptions): Promise<PassportAppUnderTest> {
  const app = await NestFactory.create<NestExpressApplication>(PassportAppModule.forRoot(options), {
    logger: false,
    abortOnError: false,
  });
  // Passport 0.7 needs no passport.initialize(): authenticate(), and so session(), sets req.logIn.
  if (options.wiring === 'main.ts') app.use(passport.session());
  await app.init();
  return { app, http: request(app.getHttpServer()), close: () => app.close() };
}

/** The session cookie a response issued (`name=value`), or `undefined` if it issued none. */
export function issuedCookie(res: Response): string | undefined {
  const pair = setCookies(res)
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('sid='));
  return pair === 'sid=' ? undefined : pair;
}

/** Whether a response told the browser to drop its session cookie. */
export function clearsCookie(res: Response): boolean {
  return setCookies(res).some(
    (c) => c.startsWith('sid=;') && c.includes('Expires=Thu, 01 Jan 1970'),
  );
}

function setCookies(res: Response): string[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}
