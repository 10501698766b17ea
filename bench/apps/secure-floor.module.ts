import { randomBytes } from 'node:crypto';
import {
  Controller,
  Get,
  HttpCode,
  Injectable,
  Module,
  Param,
  Post,
  Req,
  Res,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { floorChecks, FloorPublic } from './floor-checks.js';
import { SignedSessionCookie } from './floor-cookie.js';
import { FloorStore, type FloorSession } from './floor-store.js';

/**
 * The secure floor: this module's per-read security work with no session library — the signed
 * `sid` cookie verified in constant time, one Redis GET, AES-256-GCM, JSON, then a global guard
 * and a global deadline interceptor — hand-tuned. The best that the same work can cost.
 */

type FloorRequest = Request & { floorSession?: FloorSession };

@Injectable()
class FloorSessionMiddleware implements NestMiddleware {
  constructor(
    private readonly cookie: SignedSessionCookie,
    private readonly store: FloorStore,
  ) {}

  use(req: FloorRequest, _res: Response, next: NextFunction): void {
    const sessionId = this.cookie.read(req.headers.cookie);
    if (sessionId === undefined) return next();
    this.store.load(sessionId).then((session) => {
      req.floorSession = session;
      next();
    }, next);
  }
}

@Controller()
class SecureFloorController {
  constructor(
    private readonly cookie: SignedSessionCookie,
    private readonly store: FloorStore,
  ) {}

  @FloorPublic()
  @Post('login/:id')
  @HttpCode(200)
  async login(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
  ) {
    const sessionId = randomBytes(24).toString('base64url');
    const now = Date.now();
    const user = { id };
    const userAgent = req.headers['user-agent'];
    await this.store.save(sessionId, {
      createdAt: now,
      lastActivityAt: now,
      ip: req.ip,
      userAgent,
      user,
    });
    res.setHeader('Set-Cookie', this.cookie.serialize(sessionId));
    return { user };
  }

  @Get('auth/me')
  me(@Req() req: FloorRequest) {
    return { user: req.floorSession!.user };
  }
}

@Module({})
export class SecureFloorModule implements NestModule {
  static forRoot(store: FloorStore, secret: string): DynamicModule {
    return {
      module: SecureFloorModule,
      controllers: [SecureFloorController],
      providers: [
        { provide: FloorStore, useValue: store },
        { provide: SignedSessionCookie, useValue: new SignedSessionCookie(secret) },
        FloorSessionMiddleware,
        ...floorChecks((req) => (req as FloorRequest).floorSession),
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FloorSessionMiddleware).forRoutes('{*path}');
  }
}
