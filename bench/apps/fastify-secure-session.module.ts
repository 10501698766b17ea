import { Controller, Get, HttpCode, Module, Param, Post, Req } from '@nestjs/common';
import type { SecureSessionPluginOptions } from '@fastify/secure-session';
import { floorChecks, FloorPublic } from './floor-checks.js';
import type { FloorSession } from './floor-store.js';

/**
 * For reference: @fastify/secure-session, which Nest's docs recommend on Fastify — stateless, the
 * whole session sealed (libsodium secretbox) in its cookie, so no store and no server-side logout.
 * The same session contents as the floors (stamps, IP, user agent, user) and the floors' global
 * guard and deadline interceptor; nothing written on a read. Registered in serve.ts.
 */

// The fields of @fastify/secure-session's Session this app uses (its own FastifyRequest
// augmentation would clash with @fastify/session's in one compilation).
interface SecureSession {
  get(key: 'floor'): FloorSession | undefined;
  set(key: 'floor', value: FloorSession): void;
}
type SecureSessionRequest = { session: SecureSession; ip: string; headers: Record<string, string> };

@Controller()
class FastifySecureSessionController {
  @FloorPublic()
  @Post('login/:id')
  @HttpCode(200)
  login(@Req() req: SecureSessionRequest, @Param('id') id: string) {
    const now = Date.now();
    const user = { id };
    req.session.set('floor', {
      createdAt: now,
      lastActivityAt: now,
      ip: req.ip,
      userAgent: req.headers['user-agent'],
      user,
    });
    return { user };
  }

  @Get('auth/me')
  me(@Req() req: SecureSessionRequest) {
    return { user: req.session.get('floor')!.user };
  }
}

/** @fastify/secure-session's options: a 32-byte key, the floors' cookie attributes. */
export function fastifySecureSessionOptions(key: Buffer): SecureSessionPluginOptions {
  return {
    key,
    cookieName: 'session',
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: false },
  };
}

@Module({
  controllers: [FastifySecureSessionController],
  providers: floorChecks((req) => (req as unknown as SecureSessionRequest).session?.get('floor')),
})
export class FastifySecureSessionModule {}
