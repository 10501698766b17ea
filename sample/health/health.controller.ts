import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public, SessionService, type SessionStoreKind } from 'nestjs-secure-session';

/** Liveness of the app and reachability of its session store. */
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly sessions: SessionService) {}

  @Get()
  async check(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: string; store: SessionStoreKind }> {
    const up = await this.sessions.isStoreReachable();
    res.status(up ? 200 : 503);
    return { status: up ? 'ok' : 'unavailable', store: this.sessions.storeKind };
  }
}
