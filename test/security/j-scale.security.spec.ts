import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
  type INestApplication,
} from '@nestjs/common';
import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { SESSION_STORE } from '../../lib/session.constants.js';
import type { SessionStore } from '../../lib/stores/session-store.interface.js';
import {
  Public,
  Session,
  SessionModule,
  SessionService,
  type RequestSession,
  type SessionModuleOptions,
} from '../../lib/index.js';
import { Test } from '@nestjs/testing';
import { startRedisCluster, type RedisClusterUnderTest } from '../support/redis-cluster.js';
import { inspectRedis } from '../support/redis-inspect.js';
import { startRedisSentinel, type RedisSentinelUnderTest } from '../support/redis-sentinel.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SECRET = 'Jm4kP9sQ2wE7rT1yU6iO3pA8sD5fG0hJkLzXcV';

@Controller()
class UserSessionsController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login/:user')
  @HttpCode(204)
  async login(@Req() req: Request, @Param('user') user: string) {
    await this.sessions.login(req, user);
  }

  @Get('me')
  me(@Session() session: RequestSession) {
    return { userId: session.meta?.userId };
  }

  @Get('sessions')
  async list(@Session() session: RequestSession) {
    return { count: (await this.sessions.list(session.meta!.userId!)).length };
  }

  @Delete('sessions')
  async revokeAll(@Session() session: RequestSession) {
    return { revoked: await this.sessions.revokeAll(session.meta!.userId!) };
  }

  @Delete('other-sessions')
  async revokeOthers(@Req() req: Request) {
    return { revoked: await this.sessions.revokeOthers(req) };
  }
}

/** An app instance listening on loopback, with a keep-alive client (fetch). */
interface Instance {
  app: INestApplication;
  url: string;
}

async function startInstance(options: SessionModuleOptions): Promise<Instance> {
  const moduleRef = await Test.createTestingModule({
    imports: [SessionModule.forRoot(options)],
    controllers: [UserSessionsController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

async function send(
  instance: Instance,
  method: string,
  path: string,
  cookie?: string,
): Promise<{ status: number; cookie?: string; body: unknown }> {
  const res = await fetch(`${instance.url}${path}`, {
    method,
    headers: cookie ? { cookie } : {},
  });
  const text = await res.text();
  return {
    status: res.status,
    cookie: res.headers.get('set-cookie')?.split(';')[0],
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

async function login(instance: Instance, user: string): Promise<string> {
  const res = await send(instance, 'POST', `/login/${user}`);
  expect(res.status).toBe(204);
  return res.cookie!;
}

/** Runs `task` for 0..count-1, `concurrency` at a time; resolves the results in order. */
async function inParallel<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Another user's requests, sent back to back until stopped: the statuses they got. */
function otherUserTraffic(instance: Instance, cookie: string) {
  const statuses: number[] = [];
  let running = true;
  const loops = Array.from({ length: 8 }, async () => {
    while (running) statuses.push((await send(instance, 'GET', '/me', cookie)).status);
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

const STORES = ['memory', 'one Redis', 'Redis Cluster', 'Redis Sentinel'] as const;
type StoreName = (typeof STORES)[number];

describe('J. work over one user’s sessions', () => {
  const redisUrl = inject('redisUrl');
  let cluster: RedisClusterUnderTest;
  let sentinel: RedisSentinelUnderTest;

  beforeAll(async () => {
    [cluster, sentinel] = await Promise.all([startRedisCluster(), startRedisSentinel()]);
  }, 60_000);
  afterAll(() => Promise.all([cluster?.stop(), sentinel?.stop()]));

  const optionsFor = (store: StoreName, prefix: string): SessionModuleOptions => ({
    secret: SECRET,
    cookie: { secure: false },
    globalGuard: true,
    redis: {
      memory: undefined,
      'one Redis': { url: redisUrl, prefix },
      'Redis Cluster': { cluster: { rootNodes: cluster.nodes.map((node) => node.url) }, prefix },
      'Redis Sentinel': {
        sentinel: { name: sentinel.name, sentinels: sentinel.seeds.split(',') },
        prefix,
      },
    }[store],
  });

  describe.each(STORES)('on %s', (store) => {
    // Two instances sharing one store; on memory, one instance plays both.
    let a: Instance;
    let b: Instance;

    beforeAll(async () => {
      const options = optionsFor(store, `test-${randomUUID()}:`);
      a = await startInstance(options);
      b = store === 'memory' ? a : await startInstance(options);
    });
    afterAll(async () => {
      await a?.app.close();
      if (b !== a) await b?.app.close();
    });

    // A Sentinel primary is one node: the 5,000-session run adds nothing there but time.
    it.skipIf(store === 'Redis Sentinel')(
      'J37: 5,000 sessions of one user are listed and all revoked by one revokeAll(), while another user’s requests all succeed',
      async () => {
        const cookies = await inParallel(5000, 32, (i) => login(i % 2 ? a : b, 'prolific'));
        const other = await login(a, 'bystander');

        const listing = otherUserTraffic(a, other);
        const listed = await send(b, 'GET', '/sessions', cookies[0]);
        const duringList = await listing.stop();
        expect(listed).toMatchObject({ status: 200, body: { count: 5000 } });

        const revoking = otherUserTraffic(a, other);
        const revoked = await send(b, 'DELETE', '/sessions', cookies[1]);
        const duringRevoke = await revoking.stop();
        expect(revoked).toMatchObject({ status: 200, body: { revoked: 5000 } });

        for (const statuses of [duringList, duringRevoke]) {
          expect(statuses.length).toBeGreaterThan(0);
          expect(statuses.filter((status) => status !== 200)).toEqual([]);
        }
        const after = await inParallel(5000, 32, (i) =>
          send(i % 2 ? b : a, 'GET', '/me', cookies[i]),
        );
        expect(after.filter((res) => res.status !== 401).length).toBe(0);
        expect((await send(a, 'GET', '/me', other)).status).toBe(200);
      },
      120_000,
    );

    it('E19: every login that answered before "sign out everywhere else" answered is dead, over 8 races', async () => {
      let answeredBefore = 0;
      for (let race = 0; race < 8; race++) {
        const user = `racer-${race}`;
        // Sessions to revoke make the sign-out take a while, as a real account's would.
        await inParallel(150, 16, (i) => login(i % 2 ? a : b, user));
        const current = await login(a, user);
        // Logins keep starting, a millisecond apart, while the sign-out runs.
        const answeredAt = new Map<string, number>();
        let signedOutAt = Infinity;
        const signingOut = send(a, 'DELETE', '/other-sessions', current).then((res) => {
          signedOutAt = performance.now();
          return res;
        });
        const logins: Promise<string | undefined>[] = [];
        for (let i = 0; i < 40 && signedOutAt === Infinity; i++) {
          logins.push(
            send(i % 2 ? a : b, 'POST', `/login/${user}`).then((res) => {
              // A login whose session the sign-out reached first is refused (401): no survivor.
              expect([204, 401]).toContain(res.status);
              if (res.status === 204) answeredAt.set(res.cookie!, performance.now());
              return res.cookie;
            }),
          );
          await sleep(1);
        }
        expect((await signingOut).status).toBe(200);
        await Promise.all(logins);
        const before = [...answeredAt].filter(([, at]) => at < signedOutAt).map(([c]) => c);
        answeredBefore += before.length;
        const survivors: string[] = [];
        for (const cookie of before) {
          for (const instance of [a, b]) {
            if ((await send(instance, 'GET', '/me', cookie)).status !== 401) survivors.push(cookie);
          }
        }
        expect(survivors).toEqual([]);
        expect((await send(b, 'GET', '/me', current)).status).toBe(200);
      }
      // The races did race: logins answered while the sign-out ran. (The memory store answers
      // a whole sign-out without yielding to I/O, so nothing can interleave with it there.)
      expect(store === 'memory' || answeredBefore > 0).toBe(true);
    }, 120_000);
  });

  describe('a user’s index on one Redis', () => {
    const prefix = `test-${randomUUID()}:`;
    let app: Instance;
    beforeAll(async () => {
      app = await startInstance({
        ...optionsFor('one Redis', prefix),
        idleTimeout: 1000,
        maxSessionsPerUser: 5,
      });
    });
    afterAll(() => app?.app.close());

    // Where the module keeps a user's index: a hash of the user ID, never the ID itself.
    const indexKey = (user: string) =>
      `${prefix}u:{${createHash('sha256').update(user).digest().subarray(0, 16).toString('base64url')}}`;

    it('J37: never holds more than maxSessionsPerUser entries, and sessions that idled out give up their place', async () => {
      const redis = await inspectRedis(redisUrl);
      try {
        await inParallel(20, 4, () => login(app, 'regular'));
        expect(await redis.client.zCard(indexKey('regular'))).toBe(5);
        await sleep(1100); // every session idles out
        const later = [await login(app, 'regular'), await login(app, 'regular')];
        expect(await redis.client.zCard(indexKey('regular'))).toBe(2);
        for (const cookie of later)
          expect((await send(app, 'GET', '/me', cookie)).status).toBe(200);
      } finally {
        await redis.close();
      }
    });

    it('revokes every session of an index written as a hash before 0.2 (upgraded in place)', async () => {
      const redis = await inspectRedis(redisUrl);
      try {
        const cookies = [await login(app, 'veteran'), await login(app, 'veteran')];
        const key = indexKey('veteran');
        const members = await redis.client.zRangeWithScores(key, 0, -1);
        expect(members).toHaveLength(2);
        await redis.client.del(key);
        await redis.client.hSet(
          key,
          Object.fromEntries(members.map(({ value, score }) => [value, String(score)])),
        );
        const res = await send(app, 'DELETE', '/sessions', cookies[0]);
        expect(res).toMatchObject({ status: 200, body: { revoked: 2 } });
        for (const cookie of cookies)
          expect((await send(app, 'GET', '/me', cookie)).status).toBe(401);
        expect(await redis.client.exists(key)).toBe(0);
      } finally {
        await redis.close();
      }
    });
  });
});

describe('J37: a login past a large maxSessionsPerUser', () => {
  let app: Instance;
  beforeAll(async () => {
    app = await startInstance({
      secret: SECRET,
      cookie: { secure: false },
      globalGuard: true,
      maxSessionsPerUser: 150,
    });
  });
  afterAll(() => app?.app.close());

  it('reads only the oldest sessions beyond the limit, not every session, and ends the oldest', async () => {
    const cookies = await inParallel(150, 1, () => login(app, 'busy-bee'));
    const store = app.app.get<SessionStore>(SESSION_STORE);
    const reads = vi.spyOn(store, 'read');
    const newest = await login(app, 'busy-bee');
    // One over the limit: one session read (and ended), where the whole index was read before.
    expect(reads.mock.calls.length).toBeLessThanOrEqual(2);
    reads.mockRestore();
    expect((await send(app, 'GET', '/me', cookies[0])).status).toBe(401);
    expect((await send(app, 'GET', '/me', cookies[1])).status).toBe(200);
    expect((await send(app, 'GET', '/me', newest)).status).toBe(200);
    expect(await send(app, 'GET', '/sessions', newest)).toMatchObject({ body: { count: 150 } });
  });
});
