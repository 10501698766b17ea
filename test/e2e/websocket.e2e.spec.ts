import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Controller, HttpCode, Module, Post, Req, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { SESSION_STORE } from '../../lib/session.constants.js';
import type { WebSocket } from 'ws';
import {
  Public,
  SameOriginGuard,
  Session,
  SessionModule,
  SessionService,
  type RequestSession,
} from '../../lib/index.js';
import {
  SAMPLE_PLATFORMS,
  handleOf,
  login,
  sessionCookie,
  sessionIdOf,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';
import { signedSessionCookie } from '../support/signed-cookie.js';
import { PLATFORMS } from '../support/session-test-app.js';
import {
  hasOpenssl,
  startProductionSampleBehindProxy,
  type SampleBehindProxy,
} from '../support/tls-proxy.js';
import {
  askSocketIo,
  askWs,
  openSocketIo,
  openWs,
  rawExchange,
  socketIoClosed,
  upgradeRequest,
  wsClosed,
  type HandshakeHeaders,
} from '../support/websocket-clients.js';

const portOf = (app: INestApplication) => (app.getHttpServer().address() as AddressInfo).port;
const SOCKET_IO_PATH = '/socket.io/?EIO=4&transport=websocket';
const IDLE = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(
  SAMPLE_PLATFORMS.flatMap((platform) =>
    (['memory', 'redis', 'postgres'] as const)
      // PostgreSQL on one platform: what differs there is the store, not the platform.
      .filter((store) => store !== 'postgres' || platform === 'express')
      .map((store) => [store, platform] as const),
  ),
)("the sample's socket.io gateway on the %s store (%s)", (store, platform) => {
  // Two instances sharing one store; on the memory store, one instance plays both.
  let a: SampleUnderTest;
  let b: SampleUnderTest;
  /** An instance with a short idle timeout. */
  let brief: SampleUnderTest;
  const opened: Socket[] = [];
  const secret = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    const shared = {
      SAMPLE_PLATFORM: platform,
      REDIS_URL: store === 'redis' ? inject('redisUrl') : undefined,
      DATABASE_URL: store === 'postgres' ? inject('postgresUrl') : undefined,
      SESSION_SECRET: secret,
      SESSION_KEY_PREFIX: `test-${randomUUID()}:`,
    };
    a = await startSample(shared);
    b = store === 'memory' ? a : await startSample(shared);
    brief = await startSample({
      SAMPLE_PLATFORM: platform,
      REDIS_URL: shared.REDIS_URL,
      DATABASE_URL: shared.DATABASE_URL,
      SESSION_IDLE_TIMEOUT: `${IDLE}`,
    });
    for (const instance of new Set([a, b, brief])) await instance.app.listen(0, '127.0.0.1');
  });
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.close();
  });
  afterAll(async () => {
    await Promise.all([...new Set([a, b, brief])].map((instance) => instance?.close()));
  });

  const open = async (instance: SampleUnderTest, headers: HandshakeHeaders) => {
    const socket = await openSocketIo(`http://127.0.0.1:${portOf(instance.app)}/realtime`, headers);
    opened.push(socket);
    return socket;
  };
  const stillServing = async (instance: SampleUnderTest) => {
    await instance.http.get('/auth/me').expect(401);
    const socket = await open(instance, { cookie: await login(instance) });
    expect(await askSocketIo(socket, 'ping')).toEqual({ answer: 'pong' });
  };

  it('connects with a logged-in cookie and answers whoami as its user', async () => {
    const cookie = await login(a);
    const socket = await open(b, { cookie });
    expect(await askSocketIo(socket, 'whoami')).toEqual({
      answer: { user: { id: '1' }, session: { id: handleOf(cookie) } },
    });
    expect(await askSocketIo(socket, 'ping')).toEqual({ answer: 'pong' });
  });

  it('reads the session once when a connection opens', async () => {
    const cookie = await login(b);
    const store = b.app.get<{ read(handle: string): Promise<unknown> }>(SESSION_STORE);
    const reads = vi.spyOn(store, 'read');
    try {
      const socket = await open(b, { cookie });
      // The upgrade's read both follows the connection and decides that it may open.
      expect(reads).toHaveBeenCalledTimes(1);
      expect(await askSocketIo(socket, 'whoami')).toMatchObject({
        answer: { user: { id: '1' } },
      });
      expect(reads).toHaveBeenCalledTimes(2); // the guard reads it again for the message
    } finally {
      reads.mockRestore();
    }
  });

  it('refuses a connection without a logged-in session, and keeps serving', async () => {
    const name = (await login(a)).split('=')[0]!;
    const anonymous = sessionCookie(
      await a.http.post('/cart').send({ item: 'teapot' }).expect(200),
    );
    const cookies = {
      none: undefined,
      anonymous,
      forged: signedSessionCookie(name, randomBytes(24).toString('base64url'), 'not-the-secret'),
      unsigned: `${name}=${randomBytes(24).toString('base64url')}`,
    };
    for (const [kind, cookie] of Object.entries(cookies)) {
      await expect(open(b, { cookie }), kind).rejects.toThrow('Unauthorized');
    }
    // Past Node's header limit: the HTTP server answers 431 before any WebSocket code runs.
    const huge = `${name}=${'a'.repeat(64 * 1024)}`;
    await expect(open(b, { cookie: huge })).rejects.toThrow('websocket error');
    expect(
      await rawExchange(portOf(b.app), upgradeRequest(SOCKET_IO_PATH, { Cookie: huge })),
    ).toMatch(/^HTTP\/1\.1 431/);
    await stillServing(b);
  });

  it('accepts WebSocket transport only, not long-polling', async () => {
    const url = `http://127.0.0.1:${portOf(a.app)}/realtime`;
    await expect(openSocketIo(url, { cookie: await login(a) }, ['polling'])).rejects.toThrow(
      'xhr poll error',
    );
  });

  it('closes a connection when its session expires, with no message, and refuses it then', async () => {
    const cookie = await login(brief);
    const socket = await open(brief, { cookie });
    const closed = socketIoClosed(socket);
    expect(await askSocketIo(socket, 'whoami')).toMatchObject({ answer: { user: { id: '1' } } });
    const started = Date.now();
    expect(await closed).toBe('transport close');
    // At the idle deadline (renewal stamps are in steps of 10% of the window), within 1 s.
    expect(Date.now() - started).toBeLessThan(IDLE + 1000);
    await expect(open(brief, { cookie })).rejects.toThrow('Unauthorized');
  });

  it('keeps a session alive while its connection is active, with no HTTP request', async () => {
    const cookie = await login(brief);
    const socket = await open(brief, { cookie });
    const loggedInAt = Date.now();
    // Guarded messages for more than twice the idle timeout: each renews the session when due.
    while (Date.now() - loggedInAt < 2.2 * IDLE) {
      await sleep(IDLE * 0.3);
      expect(await askSocketIo(socket, 'whoami')).toMatchObject({
        answer: { user: { id: '1' } },
      });
    }
    await brief.http.get('/auth/me').set('Cookie', cookie).expect(200);
    // `ping` is public: it reads no session, so it renews nothing; the session then ends.
    const closed = socketIoClosed(socket);
    expect(await askSocketIo(socket, 'ping')).toEqual({ answer: 'pong' });
    expect(await closed).toBe('transport close');
    await brief.http.get('/auth/me').set('Cookie', cookie).expect(401);
  });

  it('refuses a cross-site handshake and accepts a same-origin one', async () => {
    const cookie = await login(a);
    await expect(open(a, { cookie, origin: 'https://evil.example' })).rejects.toThrow(
      'Unauthorized',
    );
    const socket = await open(a, { cookie, origin: `http://127.0.0.1:${portOf(a.app)}` });
    expect(await askSocketIo(socket, 'whoami')).toMatchObject({ answer: { user: { id: '1' } } });
  });

  it("J40: refuses a handshake from the app's host under another scheme, as HTTP does", async () => {
    const cookie = await login(a);
    const host = `127.0.0.1:${portOf(a.app)}`;
    // Over plain http the app's own origin is http://; https:// of the same host is another.
    await a.http
      .post('/cart')
      .set({ Origin: `https://${host}`, Cookie: cookie })
      .expect(403);
    await expect(open(a, { cookie, origin: `https://${host}` })).rejects.toThrow('Unauthorized');
    await open(a, { cookie, origin: `http://${host}` });
  });

  it('J40: a handshake reads the cookie HTTP reads on its transport, not a __Host- one first', async () => {
    // With `secure: 'auto'` over http, HTTP reads `sid`; a `__Host-sid` planted beside it (here
    // bob's, validly signed) must not make the same browser's socket act as another user.
    const alice = await login(a);
    const bobs = signedSessionCookie('__Host-sid', sessionIdOf(await login(a, 'bob')), secret);
    const cookie = `${bobs}; ${alice}`;
    const me = await a.http.get('/auth/me').set('Cookie', cookie).expect(200);
    expect(me.body.user.id).toBe('1');
    const socket = await open(a, { cookie });
    expect(await askSocketIo(socket, 'whoami')).toMatchObject({ answer: { user: { id: '1' } } });
  });

  it('J40: a planted cookie of the session name sent first does not refuse the handshake', async () => {
    const cookie = await login(a);
    const name = cookie.split('=')[0]!;
    const socket = await open(a, { cookie: `${name}=planted; ${cookie}` });
    expect(await askSocketIo(socket, 'whoami')).toMatchObject({ answer: { user: { id: '1' } } });
  });

  it('renews a session only for a connection the app accepts, not for any upgrade', async () => {
    const cookie = await login(brief);
    const handle = handleOf(cookie);
    const sessions = brief.app.get<{
      read(handle: string): Promise<unknown>;
      writeUnlessRevoked(handle: string, record: Buffer, ttl: number): Promise<boolean>;
    }>(SESSION_STORE);
    const reads = vi.spyOn(sessions, 'read');
    const writes = vi.spyOn(sessions, 'writeUnlessRevoked');
    const callsFor = (spy: typeof reads | typeof writes) =>
      spy.mock.calls.filter(([key]) => key === handle).length;
    try {
      await sleep(IDLE * 0.3); // renewal is due
      // An upgrade to a path nothing serves (read, to follow it, but not written), and a
      // cross-site handshake (not even read).
      const upgrade = connect(portOf(brief.app), '127.0.0.1');
      upgrade.on('error', () => undefined);
      upgrade.write(upgradeRequest('/not-a-socket', { Cookie: cookie }));
      await sleep(100);
      upgrade.destroy();
      await expect(open(brief, { cookie, origin: 'https://evil.example' })).rejects.toThrow(
        'Unauthorized',
      );
      expect({ reads: callsFor(reads), writes: callsFor(writes) }).toEqual({
        reads: 1,
        writes: 0,
      });
      // The connection the app accepts renews it, once.
      const socket = await open(brief, { cookie });
      expect(callsFor(writes)).toBe(1);
      expect(await askSocketIo(socket, 'whoami')).toMatchObject({
        answer: { user: { id: '1' } },
      });
    } finally {
      reads.mockRestore();
      writes.mockRestore();
    }
  });

  it('answers malformed handshakes with an error, never a crash', async () => {
    const cookie = await login(a);
    const port = portOf(a.app);
    const upgrade = (headers: Record<string, string>) =>
      rawExchange(port, upgradeRequest(SOCKET_IO_PATH, { Cookie: cookie, ...headers }));
    expect(await rawExchange(port, randomBytes(2048))).toMatch(/^(HTTP\/1\.1 400|$)/);
    expect(await rawExchange(port, `GET ${SOCKET_IO_PATH} HTTP/1.1\r\n\x00\xff\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 400/,
    );
    expect(await upgrade({ 'Sec-WebSocket-Key': 'not-a-key' })).toMatch(/^HTTP\/1\.1 400/);
    expect(await upgrade({ 'Sec-WebSocket-Version': '99' })).toMatch(/^HTTP\/1\.1 400/);
    // A well-formed handshake followed by frames that are not WebSocket frames.
    const broken = await rawExchange(
      port,
      Buffer.concat([
        Buffer.from(upgradeRequest(SOCKET_IO_PATH, { Cookie: cookie })),
        randomBytes(512),
      ]),
    );
    expect(broken).toMatch(/^HTTP\/1\.1 101/);
    await stillServing(a);
  });

  const closedWithin = async (closed: Promise<string>, ms: number) => {
    const started = Date.now();
    const reason = await closed;
    return { reason, inTime: Date.now() - started <= ms };
  };

  it('closes within 1 s the connections of a session logged out, on every instance', async () => {
    const cookie = await login(a);
    const onA = socketIoClosed(await open(a, { cookie }));
    const onB = socketIoClosed(await open(b, { cookie }));
    await a.http.post('/auth/logout').set('Cookie', cookie).expect(204);
    for (const closed of [onA, onB]) {
      expect(await closedWithin(closed, 1000)).toEqual({
        reason: 'transport close',
        inTime: true,
      });
    }
    await expect(open(b, { cookie })).rejects.toThrow('Unauthorized');
  });

  it('closes within 1 s the connections of a session revoked on another instance', async () => {
    const cookie = await login(a);
    const other = await login(a, 'bob');
    const socket = await open(b, { cookie });
    const bobs = await open(b, { cookie: other });
    const closed = socketIoClosed(socket);
    expect(await a.app.get(SessionService).revokeAll('1')).toBeGreaterThan(0);
    expect(await closedWithin(closed, 1000)).toEqual({ reason: 'transport close', inTime: true });
    // Another user's connection stays open.
    expect(await askSocketIo(bobs, 'whoami')).toMatchObject({ answer: { user: { id: '2' } } });
  });

  it('refuses the next message of a session ended while its connection was not followed', async () => {
    const cookie = await login(a);
    const socket = await open(b, { cookie });
    // Revoked straight in the store, as a failover that lost the announcement would leave it.
    const handle = handleOf(cookie);
    const store = a.app.get<{ revoke(h: string, ttl: number): Promise<boolean> }>(SESSION_STORE);
    await store.revoke(handle, 60_000);
    expect(await askSocketIo(socket, 'whoami')).toMatchObject({
      refused: { message: 'Forbidden resource' },
    });
  });
});

describe.skipIf(!hasOpenssl()).each(SAMPLE_PLATFORMS)(
  'the sample in production behind a TLS proxy (%s)',
  (platform) => {
    let deployed: SampleBehindProxy;

    beforeAll(async () => {
      deployed = await startProductionSampleBehindProxy(inject('redisUrl'), platform);
    });
    afterAll(() => deployed?.close());

    // The browser's view: wss:// to the proxy, which forwards the upgrade over plain http.
    const openThroughProxy = (cookie: string, origin: string) => {
      const socket = io(`${deployed.proxy.url}/realtime`, {
        transports: ['websocket'],
        extraHeaders: { Cookie: cookie, Origin: origin },
        rejectUnauthorized: false,
        reconnection: false,
        forceNew: true,
      });
      return new Promise<Socket>((resolve, reject) => {
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', (err) => {
          socket.close();
          reject(err);
        });
      });
    };

    it('J40: accepts a handshake from its https origin and refuses its http one, as HTTP does', async () => {
      const { sample, proxy } = deployed;
      const res = await sample.http
        .post('/auth/login')
        .set('X-Forwarded-Proto', 'https')
        .send({ username: 'alice', password: 'alice-password' })
        .expect(200);
      const cookie = sessionCookie(res);
      const insecure = proxy.url.replace(/^https:/, 'http:');
      await expect(openThroughProxy(cookie, insecure)).rejects.toThrow('Unauthorized');
      const socket = await openThroughProxy(cookie, proxy.url);
      try {
        expect(await askSocketIo(socket, 'whoami')).toMatchObject({
          answer: { user: { id: '1' } },
        });
      } finally {
        socket.close();
      }
    });
  },
);

// A Nest app has one WebSocket adapter; the sample uses socket.io. This app shows the same
// guards and decorator on a plain `ws` gateway (@nestjs/platform-ws) on the app's HTTP server.
@Controller('auth')
class WsAuthController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login')
  @HttpCode(204)
  login(@Req() req: IncomingMessage): Promise<void> {
    return this.sessions.login(req, '1');
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  logout(@Req() req: IncomingMessage): Promise<void> {
    return this.sessions.logout(req);
  }
}

@WebSocketGateway({ path: '/ws' })
class PlainWsGateway implements OnGatewayConnection {
  constructor(private readonly sessions: SessionService) {}

  async handleConnection(client: WebSocket, handshake: IncomingMessage): Promise<void> {
    if (!(await this.sessions.acceptConnection(handshake))) client.close(1008, 'Unauthorized');
  }

  @SubscribeMessage('whoami')
  whoami(@Session() session: RequestSession): { event: string; data: unknown } {
    return { event: 'whoami', data: { user: { id: session.meta?.userId } } };
  }

  @Public()
  @SubscribeMessage('ping')
  ping(): { event: string; data: unknown } {
    return { event: 'ping', data: 'pong' };
  }
}

@Module({
  imports: [
    SessionModule.forRoot({
      secret: randomBytes(32).toString('base64url'),
      cookie: { secure: 'auto' },
      globalGuard: true,
    }),
  ],
  controllers: [WsAuthController],
  providers: [PlainWsGateway, { provide: APP_GUARD, useExisting: SameOriginGuard }],
})
class PlainWsAppModule {}

describe.each(PLATFORMS)(
  'a plain ws gateway (@nestjs/platform-ws) with the same guards (%s)',
  (platform) => {
    let app: INestApplication;
    let url: string;
    const opened: WebSocket[] = [];

    beforeAll(async () => {
      // Behind a TLS proxy on loopback: `trust proxy` / `trustProxy`, as README says.
      app =
        platform === 'fastify'
          ? await NestFactory.create(
              PlainWsAppModule,
              new FastifyAdapter({ trustProxy: 'loopback' }),
              {
                logger: false,
                abortOnError: false,
              },
            )
          : await NestFactory.create(PlainWsAppModule, { logger: false, abortOnError: false });
      if (platform === 'express') {
        (app.getHttpAdapter().getInstance() as { set(k: string, v: string): void }).set(
          'trust proxy',
          'loopback',
        );
      }
      app.useWebSocketAdapter(new WsAdapter(app));
      await app.listen(0, '127.0.0.1');
      url = `ws://127.0.0.1:${portOf(app)}/ws`;
    });
    afterAll(async () => {
      for (const ws of opened) ws.terminate();
      await app?.close();
    });

    const open = async (headers: HandshakeHeaders) => {
      const ws = await openWs(url, headers);
      opened.push(ws);
      return ws;
    };
    const loginCookie = async () =>
      sessionCookie(await request(app.getHttpServer()).post('/auth/login').expect(204));

    it('answers whoami with a cookie, and closes the connection at logout (4401 Session ended)', async () => {
      const cookie = await loginCookie();
      const ws = await open({ cookie });
      expect(await askWs(ws, 'whoami')).toEqual({ answer: { user: { id: '1' } } });
      const closed = new Promise<[number, string]>((resolve) =>
        ws.once('close', (code, reason) => resolve([code, reason.toString()])),
      );
      await request(app.getHttpServer()).post('/auth/logout').set('Cookie', cookie).expect(204);
      expect(await closed).toEqual([4401, 'Session ended']);
    });

    it('J40: behind the TLS proxy, accepts a handshake from its https origin and refuses its http one', async () => {
      const host = `127.0.0.1:${portOf(app)}`;
      const res = await request(app.getHttpServer())
        .post('/auth/login')
        .set('X-Forwarded-Proto', 'https')
        .expect(204);
      const cookie = sessionCookie(res);
      expect(cookie).toMatch(/^__Host-sid=/);
      const https = await open({ cookie, origin: `https://${host}`, forwardedProto: 'https' });
      expect(await askWs(https, 'whoami')).toEqual({ answer: { user: { id: '1' } } });
      const http = await open({ cookie, origin: `http://${host}`, forwardedProto: 'https' });
      expect(await wsClosed(http)).toEqual({ code: 1008, reason: 'Unauthorized' });
    });

    it('closes a connection without a logged-in session, or from another site', async () => {
      const cookie = await loginCookie();
      for (const headers of [{}, { cookie, origin: 'https://evil.example' }]) {
        expect(await wsClosed(await open(headers))).toEqual({ code: 1008, reason: 'Unauthorized' });
      }
      expect(await loginCookie()).toMatch(/sid=/);
    });
  },
);
