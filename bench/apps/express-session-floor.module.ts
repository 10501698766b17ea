import { Controller, Get, HttpCode, Module, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import session from 'express-session';
import { floorChecks, FloorPublic } from './floor-checks.js';
import type { FloorSession, FloorStore } from './floor-store.js';

/**
 * The express-session floor: express-session with a minimal store doing the module's store-side
 * work (handle, one Redis GET, AES-256-GCM, JSON; no write per request), and the secure floor's
 * global guard and interceptor. What the same work costs on express-session.
 */

type ExpressFloorSession = session.Session & Partial<FloorSession>;

// The global type of req.session is this library's (lib/ and the sample declare it); this app's
// req.session is express-session's own.
const expressSessionOf = (req: Request) =>
  (req as unknown as { session?: ExpressFloorSession }).session;

// What a loaded session gets back as its cookie: the policy is not stored with every session.
const COOKIE = { originalMaxAge: null, path: '/', httpOnly: true, sameSite: 'lax' };

class FloorExpressStore extends session.Store {
  constructor(private readonly store: FloorStore) {
    super();
  }

  override get(
    sid: string,
    callback: (err: unknown, session?: session.SessionData | null) => void,
  ) {
    this.store
      .load(sid)
      .then(
        (loaded) =>
          callback(null, loaded && ({ ...loaded, cookie: { ...COOKIE } } as session.SessionData)),
        callback,
      );
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void) {
    const { cookie: _cookie, ...fields } = data as session.SessionData & Partial<FloorSession>;
    const now = Date.now();
    const saved = this.store.save(sid, {
      ...fields,
      createdAt: fields.createdAt ?? now,
      lastActivityAt: now,
    });
    settle(saved, callback);
  }

  override destroy(sid: string, callback?: (err?: unknown) => void) {
    settle(this.store.destroy(sid), callback);
  }

  // The deadline interceptor reads the stamps; nothing is written per request.
  override touch(_sid: string, _data: session.SessionData, callback?: () => void) {
    callback?.();
  }
}

// express-session's store API takes callbacks (and always passes one).
function settle(work: Promise<void>, callback: (err?: unknown) => void = () => {}): void {
  work.then(() => callback(), callback);
}

/** express-session's options for this floor (mounted with app.use() in serve.ts). */
export function expressSessionFloorOptions(
  store: FloorStore,
  secret: string,
): session.SessionOptions {
  return {
    store: new FloorExpressStore(store),
    secret,
    name: 'sid',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  };
}

@Controller()
class ExpressSessionFloorController {
  @FloorPublic()
  @Post('login/:id')
  @HttpCode(200)
  async login(@Req() req: Request, @Param('id') id: string) {
    await new Promise<void>((resolve, reject) =>
      expressSessionOf(req)!.regenerate((err) => (err ? reject(err) : resolve())),
    );
    const fresh = expressSessionOf(req)!; // regenerate() replaced req.session
    fresh.ip = req.ip;
    fresh.userAgent = req.headers['user-agent'];
    fresh.user = { id };
    return { user: fresh.user };
  }

  @Get('auth/me')
  me(@Req() req: Request) {
    return { user: expressSessionOf(req)!.user };
  }
}

// Every stored session was written with its stamps, so a session with a user has them.
const sessionOf = (req: Request) => {
  const loaded = expressSessionOf(req);
  return loaded?.user ? (loaded as FloorSession) : undefined;
};

@Module({ controllers: [ExpressSessionFloorController], providers: floorChecks(sessionOf) })
export class ExpressSessionFloorModule {}
