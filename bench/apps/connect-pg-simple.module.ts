import {
  Controller,
  Get,
  HttpCode,
  Module,
  Param,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type pg from 'pg';
import { baselineSessionOptions, regenerateWithUser, type BenchRequest } from './baseline-apps.js';

/**
 * The usual PostgreSQL setup the module's PostgreSQL store is measured against (bench/postgres.ts):
 * express-session + connect-pg-simple as its README sets it up, with the Redis baselines' session
 * options (`rolling: true`, `saveUninitialized: false`, `resave: false`) and its table created
 * when missing (`createTableIfMissing`). Its cheapest honest form: no denylist (a session is ended by
 * deleting its row, which the next read sees), no activity interceptor (`rolling`'s touch, an
 * UPDATE of the row's expiry on each read, is its idle timeout).
 */

@Controller()
class ConnectPgSimpleController {
  @Post('login/:id')
  @HttpCode(200)
  login(@Req() req: BenchRequest, @Param('id') id: string) {
    return regenerateWithUser(req, id);
  }

  @Get('auth/me')
  me(@Req() req: BenchRequest) {
    if (!req.session.benchUser) throw new UnauthorizedException();
    return { user: req.session.benchUser };
  }
}

/** The app's routes; express-session is mounted with app.use() (see serve.ts). */
@Module({ controllers: [ConnectPgSimpleController] })
export class ConnectPgSimpleModule {}

/** express-session options over connect-pg-simple on this pool. */
export function connectPgSimpleOptions(pool: pg.Pool, secret: string): session.SessionOptions {
  const PgStore = connectPgSimple(session);
  return baselineSessionOptions(new PgStore({ pool, createTableIfMissing: true }), secret);
}
