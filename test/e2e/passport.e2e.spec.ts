import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionEvents, SessionService, type SessionEventMap } from '../../lib/index.js';
import { startRedisServer } from '../support/redis-server.js';
import {
  DISABLED_USER_IDS,
  clearsCookie,
  issuedCookie,
  startPassportApp,
  type PassportAppOptions,
  type PassportAppUnderTest,
  type PassportWiring,
} from '../support/passport-app.js';
import { handleOf } from '../support/sample-app.js';

const SETUPS: { store: 'memory' | 'Redis'; wiring: PassportWiring }[] = [
  { store: 'memory', wiring: 'main.ts' },
  { store: 'memory', wiring: 'a module' },
  { store: 'Redis', wiring: 'main.ts' },
  { store: 'Redis', wiring: 'a module' },
];

describe.each(SETUPS)(
  'Passport sessions, passport.session() in $wiring, on the $store store',
  ({ store, wiring }) => {
    const secret = randomBytes(32).toString('base64url');
    /** With Redis, `a` and `b` are two instances sharing it; on the memory store, one app. */
    let a: PassportAppUnderTest;
    let b: PassportAppUnderTest;
    /** The same, with `maxSessionsPerUser: 1`. */
    let limitedA: PassportAppUnderTest;
    let limitedB: PassportAppUnderTest;

    beforeAll(async () => {
      const pair = async (extra: Partial<PassportAppOptions> = {}) => {
        if (store === 'memory') {
          const app = await startPassportApp({ wiring, secret, ...extra });
          return [app, app] as const;
        }
        const redis = { url: inject('redisUrl'), prefix: `test-${randomUUID()}:` };
        return Promise.all([
          startPassportApp({ wiring, secret, redis, ...extra }),
          startPassportApp({ wiring, secret, redis, ...extra }),
        ]);
      };
      [[a, b], [limitedA, limitedB]] = await Promise.all([pair(), pair({ maxSessionsPerUser: 1 })]);
    });
    afterAll(async () => {
      const apps = new Set([a, b, limitedA, limitedB].filter(Boolean));
      await Promise.all([...apps].map((app) => app.close()));
    });

    const login = async (app: PassportAppUnderTest, username = 'alice', cookie?: string) => {
      const req = app.http.post('/login').send({ username, password: `${username}-password` });
      const res = await (cookie ? req.set('Cookie', cookie) : req).expect(200);
      const issued = issuedCookie(res);
      expect(issued, 'a session cookie issued at login').toBeDefined();
      return issued!;
    };
    const profile = (app: PassportAppUnderTest, cookie: string) =>
      app.http.get('/profile').set('Cookie', cookie);

    it('answers no route with a 500: anonymous, logged in, logged out or with a forged cookie', async () => {
      const loggedIn = await login(a);
      const loggedOut = await login(a);
      await a.http.post('/logout').set('Cookie', loggedOut).expect(204);
      const cookies = [undefined, loggedIn, loggedOut, 'sid=s%3Aforged.signature'];
      const statuses: string[] = [];
      for (const app of [a, b]) {
        for (const cookie of cookies) {
          for (const [method, path] of [
            ['get', '/profile'],
            ['get', '/sessions'],
            ['post', '/theme'],
            ['post', '/logout'],
            ['post', '/login'],
            ['get', '/health'],
          ] as const) {
            const req = app.http[method](path);
            const res = await (cookie ? req.set('Cookie', cookie) : req);
            statuses.push(
              `${method.toUpperCase()} ${path} ${cookie ?? 'no cookie'}: ${res.status}`,
            );
          }
        }
      }
      expect(statuses.filter((line) => / 5\d\d$/.test(line))).toEqual([]);
    });

    it('refuses a wrong password with 401 and sets no session cookie', async () => {
      for (const body of [
        { username: 'alice', password: 'wrong' },
        { username: 'mallory', password: 'mallory-password' },
        {},
      ]) {
        const res = await a.http.post('/login').send(body).expect(401);
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    });

    it('logs in through Passport: the cookie opens /profile with the user Passport restored', async () => {
      const cookie = await login(a, 'bob');
      for (const app of [a, b]) {
        expect((await profile(app, cookie).expect(200)).body).toEqual({ id: '2', username: 'bob' });
      }
    });

    it('gives a new session ID at login, and the cookie planted before it stays logged out', async () => {
      const planted = issuedCookie(await a.http.post('/theme').send({ theme: 'dark' }).expect(204));
      expect(planted, 'an anonymous session cookie').toBeDefined();
      const cookie = await login(a, 'alice', planted);
      expect(cookie).not.toBe(planted);
      await profile(b, cookie).expect(200);
      await profile(a, planted!).expect(401);
      await profile(b, planted!).expect(401);
    });

    it("lists the Passport login among the user's sessions, marked current on its own request", async () => {
      const other = await login(a, 'bob');
      const cookie = await login(b, 'bob');
      const listed = await a.app.get(SessionService).list('2');
      expect(listed.map((s) => s.id)).toEqual(
        expect.arrayContaining([handleOf(cookie), handleOf(other)]),
      );
      const own = (await b.http.get('/sessions').set('Cookie', cookie).expect(200)).body as {
        id: string;
        current: boolean;
      }[];
      expect(own.filter((s) => s.current).map((s) => s.id)).toEqual([handleOf(cookie)]);
    });

    it('signs a Passport user out everywhere with revokeAll: their cookies get 401 on both instances', async () => {
      const cookies = [await login(a), await login(b)];
      await profile(b, cookies[0]!).expect(200);
      expect(await a.app.get(SessionService).revokeAll('1')).toBeGreaterThanOrEqual(2);
      for (const cookie of cookies) {
        await profile(a, cookie).expect(401);
        await profile(b, cookie).expect(401);
      }
    });

    it('with maxSessionsPerUser: 1, ends the first Passport login when the same user logs in again', async () => {
      const first = await login(limitedA);
      await profile(limitedB, first).expect(200);
      const second = await login(limitedB);
      await profile(limitedA, first).expect(401);
      await profile(limitedB, first).expect(401);
      await profile(limitedA, second).expect(200);
    });

    it('logs out with req.logout(): the old cookie gets 401 on both instances, also when replayed', async () => {
      const cookie = await login(a);
      await profile(b, cookie).expect(200);
      const res = await b.http.post('/logout').set('Cookie', cookie).expect(204);
      expect(clearsCookie(res), 'the logout response clears the cookie').toBe(true);
      await profile(a, cookie).expect(401);
      await profile(b, cookie).expect(401);
      await b.http.post('/logout').set('Cookie', cookie).expect(204);
      await profile(a, cookie).expect(401);
      await a.http.get('/sessions').set('Cookie', cookie).expect(401);
      expect((await a.app.get(SessionService).list('1')).map((s) => s.id)).not.toContain(
        handleOf(cookie),
      );
    });

    it("emits 'created' with the user's id for a Passport login", async () => {
      const created: SessionEventMap['created'][] = [];
      const events = a.app.get(SessionEvents);
      const listener = (payload: SessionEventMap['created']) => created.push(payload);
      events.on('created', listener);
      try {
        const cookie = await login(a, 'bob');
        expect(created).toEqual([
          expect.objectContaining({ handle: handleOf(cookie), userId: '2' }),
        ]);
      } finally {
        events.off('created', listener);
      }
    });
  },
);

describe.each(['main.ts', 'a module'] as const)(
  'Passport where the module has no session to give (passport.session() in %s)',
  (wiring) => {
    const secret = randomBytes(32).toString('base64url');
    const login = (app: PassportAppUnderTest, username = 'bob') =>
      app.http
        .post('/login')
        .send({ username, password: `${username}-password` })
        .expect(200);

    it('answers an excluded route (a health check) normally, not with a 500', async () => {
      const app = await startPassportApp({ wiring, secret, session: { exclude: ['health'] } });
      try {
        await app.http.get('/health').expect(200, { status: 'ok' });
        const cookie = issuedCookie(await login(app))!;
        await app.http.get('/health').set('Cookie', cookie).expect(200, { status: 'ok' });
      } finally {
        await app.close();
      }
    });

    it('answers 503 on protected routes and serves public ones while the store is down', async () => {
      const server = await startRedisServer();
      const redis = { url: server.url, prefix: `test-${randomUUID()}:` };
      const app = await startPassportApp({ wiring, secret, redis });
      try {
        const cookie = issuedCookie(await login(app))!;
        await server.stop();
        await app.http.get('/profile').set('Cookie', cookie).expect(503);
        await app.http.get('/health').set('Cookie', cookie).expect(200);
        await app.http.get('/health').expect(200);
      } finally {
        await app.close();
        await server.stop();
      }
    });

    it('ends the login of a user deserializeUser no longer knows (disabled since login)', async () => {
      const app = await startPassportApp({ wiring, secret });
      try {
        const cookie = issuedCookie(await login(app, 'bob'))!;
        await app.http.get('/profile').set('Cookie', cookie).expect(200);
        DISABLED_USER_IDS.add('2');
        const refused = await app.http.get('/profile').set('Cookie', cookie).expect(401);
        expect(clearsCookie(refused)).toBe(true);
        DISABLED_USER_IDS.delete('2');
        // Re-enabling the user does not bring the ended session back.
        await app.http.get('/profile').set('Cookie', cookie).expect(401);
        expect(await app.app.get(SessionService).list('2')).toEqual([]);
      } finally {
        DISABLED_USER_IDS.delete('2');
        await app.close();
      }
    });
  },
);
