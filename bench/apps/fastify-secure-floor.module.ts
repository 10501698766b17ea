import { randomBytes } from 'node:crypto';
import {
  Controller,
  Get,
  HttpCode,
  Module,
  Param,
  Post,
  Req,
  Res,
  type DynamicModule,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { floorChecks, FloorPublic } from './floor-checks.js';
import { SignedSessionCookie } from './floor-cookie.js';
import { FloorStore, type FloorSession } from './floor-store.js';

/**
 * The Fastify secure floor: the Express secure floor's work in a Fastify `onRequest` hook — the
 * signed `sid` cookie verified in constant time, one Redis GET, AES-256-GCM, JSON — then the same
 * global guard and deadline interceptor. Nothing is written on a read, so there is no `onSend`.
 */

type FloorRequest = FastifyRequest & { floorSession?: FloorSession };

/** The hook that loads the session onto the FastifyRequest (added in serve.ts, before ready). */
export function fastifyFloorHook(store: FloorStore, secret: string): onRequestHookHandler {
  const cookie = new SignedSessionCookie(secret);
  return (request, _reply, done) => {
    const sessionId = cookie.read(request.headers.cookie);
    if (sessionId === undefined) return done();
    store.load(sessionId).then((session) => {
      (request as FloorRequest).floorSession = session;
      done();
    }, done);
  };
}

@Controller()
class FastifySecureFloorController {
  constructor(
    private readonly cookie: SignedSessionCookie,
    private readonly store: FloorStore,
  ) {}

  @FloorPublic()
  @Post('login/:id')
  @HttpCode(200)
  async login(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('id') id: string,
  ) {
    const sessionId = randomBytes(24).toString('base64url');
    const now = Date.now();
    const user = { id };
    await this.store.save(sessionId, {
      createdAt: now,
      lastActivityAt: now,
      ip: req.ip,
      userAgent: req.headers['user-agent'],
      user,
    });
    reply.header('set-cookie', this.cookie.serialize(sessionId));
    return { user };
  }

  @Get('auth/me')
  me(@Req() req: FloorRequest) {
    return { user: req.floorSession!.user };
  }
}

@Module({})
export class FastifySecureFloorModule {
  static forRoot(store: FloorStore, secret: string): DynamicModule {
    return {
      module: FastifySecureFloorModule,
      controllers: [FastifySecureFloorController],
      providers: [
        { provide: FloorStore, useValue: store },
        { provide: SignedSessionCookie, useValue: new SignedSessionCookie(secret) },
        ...floorChecks((req) => (req as unknown as FloorRequest).floorSession),
      ],
    };
  }
}
