import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { Request, Response as ExpressResponse } from 'express';
import { createCluster, createSentinel } from 'redis';
import type { Response } from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Session,
  SessionService,
  type RequestSession,
  type SessionModuleOptions,
} from '../../lib/index.js';
import { redisCli, waitUntil } from '../support/redis-cli.js';
import { startRedisCluster, type RedisClusterUnderTest } from '../support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelUnderTest } from '../support/redis-sentinel.js';
import { startSessionApp } from '../support/session-test-app.js';

const SECRET = 'x7Gq2mV9pL4rT8wZ1cB6nH3kJ5dF0sAeYuIoPq';

@Controller()
class VisitsController {
  constructor(private readonly sessions: SessionService) {}

  @Get('visit')
  async visit(@Session() session: RequestSession, @Req() req: Request) {
    session.cart = [...(session.cart ?? []), 'visit'];
    await this.sessions.save(req);
    return { visits: session.cart.length };
  }

  @Post('login')
  @HttpCode(200)
  async login(@Req() req: Request) {
    await this.sessions.login(req, 'u1', { data: { cart: ['u1'] } });
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: ExpressResponse) {
    await this.sessions.logout(req, res);
  }

  @Get('whoami')
  whoami(@Session() session: RequestSession) {
    return { user: session.cart?.[0] ?? null };
  }

  @Get('reachable')
  async reachable() {
    return { reachable: await this.sessions.isStoreReachable() };
  }
}

const options = (redis: SessionModuleOptions['redis']): SessionModuleOptions => ({
  secret: SECRET,
  cookie: { secure: false },
  redis,
});

async function visitTwice(http: Awaited<ReturnType<typeof startSessionApp>>['http']) {
  const first: Response = await http.get('/visit').expect(200);
  const cookie = (first.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  return (await http.get('/visit').set('Cookie', cookie).expect(200)).body;
}

describe('a Redis Cluster', () => {
  let cluster: RedisClusterUnderTest;
  let app: INestApplication | undefined;
  let primaryPorts: number[];
  beforeAll(async () => {
    cluster = await startRedisCluster();
    primaryPorts = await cluster.primaryPorts();
  }, 60_000);
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => cluster?.stop());

  it('works with a createCluster() client it is given, reads only from primaries even when the client reads from replicas, and leaves it open on shutdown', async () => {
    const client = createCluster({
      rootNodes: [{ url: `redis://${cluster.seeds.split(',')[0]}` }],
      useReplicas: true,
    });
    client.on('error', () => undefined);
    await client.connect();
    const listeners = client.listenerCount('node-error');
    const replicas = cluster.nodes.filter((node) => !primaryPorts.includes(node.port));
    await Promise.all(replicas.map((node) => redisCli(node.port, 'CONFIG', 'RESETSTAT')));
    const started = await startSessionApp(options({ client }), [VisitsController]);
    app = started.app;
    for (let i = 0; i < 10; i++) expect(await visitTwice(started.http)).toEqual({ visits: 2 });
    expect((await started.http.get('/reachable').expect(200)).body).toEqual({ reachable: true });
    // A replica may lag behind a revocation: no session read may be served by one.
    for (const node of replicas) {
      expect(await redisCli(node.port, 'INFO', 'commandstats')).not.toMatch(
        /cmdstat_(get|exists|hgetall):/,
      );
    }
    await app.close();
    app = undefined;
    expect(client.isOpen).toBe(true);
    expect(client.listenerCount('node-error')).toBe(listeners);
    expect(await client.set('app-key', 'app-value')).toBe('OK');
    expect(await client.get('app-key')).toBe('app-value');
    await client.close();
  });

  it('starts while no node answers, refuses with 503, and serves once the cluster is back', async () => {
    await Promise.all(cluster.nodes.map((node) => node.stop()));
    const started = await startSessionApp(
      options({ cluster: { rootNodes: cluster.seeds.split(',') }, connectTimeout: 200 }),
      [VisitsController],
    );
    app = started.app;
    await started.http.get('/visit').expect(503);
    expect((await started.http.get('/reachable').expect(200)).body).toEqual({ reachable: false });
    // The nodes come back with their cluster configuration (nodes.conf) and rejoin.
    await Promise.all(cluster.nodes.map((node) => node.start()));
    await cluster.waitHealthy();
    await waitUntil('the app serves sessions again', async () => {
      return (await started.http.get('/visit')).status === 200;
    });
    expect(await visitTwice(started.http)).toEqual({ visits: 2 });
  }, 60_000);
});

describe('a Sentinel-managed primary', () => {
  let setup: RedisSentinelUnderTest;
  let app: INestApplication | undefined;
  beforeAll(async () => {
    setup = await startRedisSentinel();
  }, 60_000);
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => setup?.stop());

  it('works with a createSentinel() client it is given, and leaves it open on shutdown', async () => {
    const client = createSentinel({
      name: setup.name,
      sentinelRootNodes: [{ host: '127.0.0.1', port: setup.sentinels[0]!.port }],
    });
    client.on('error', () => undefined);
    await client.connect();
    const started = await startSessionApp(options({ client }), [VisitsController]);
    app = started.app;
    expect(await visitTwice(started.http)).toEqual({ visits: 2 });
    expect((await started.http.get('/reachable').expect(200)).body).toEqual({ reachable: true });
    // The module's byte reads must not change how the app's own commands answer.
    await client.set('app-key', 'app-value');
    expect(await client.get('app-key')).toBe('app-value');
    await app.close();
    app = undefined;
    expect(client.isOpen).toBe(true);
    await client.close();
  });

  it('with revocationReplicas, acknowledges a logout only once a replica has it, and answers 503 while none can', async () => {
    const started = await startSessionApp(
      options({
        sentinel: { name: setup.name, sentinels: setup.seeds.split(',') },
        revocationReplicas: 1,
        commandTimeout: 400,
      }),
      [VisitsController],
    );
    app = started.app;
    const login = async () => {
      const res = await started.http.post('/login').expect(200);
      return (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    };
    const first = await login();
    await started.http.post('/logout').set('Cookie', first).expect(204);
    const primary = await setup.primary();
    const replica = setup.nodes.find((node) => node !== primary)!;
    await replica.stop();
    try {
      const second = await login();
      expect((await started.http.get('/whoami').set('Cookie', second)).body).toEqual({
        user: 'u1',
      });
      await started.http.post('/logout').set('Cookie', second).expect(503);
      // Not confirmed by a replica, but revoked on the primary all the same.
      expect((await started.http.get('/whoami').set('Cookie', second)).body).toEqual({
        user: null,
      });
    } finally {
      await replica.start();
    }
  });

  it('starts while no Sentinel answers, refuses with 503, and serves once they are back', async () => {
    await Promise.all([...setup.sentinels, ...setup.nodes].map((server) => server.stop()));
    const started = await startSessionApp(
      options({
        sentinel: { name: setup.name, sentinels: setup.seeds.split(',') },
        connectTimeout: 200,
      }),
      [VisitsController],
    );
    app = started.app;
    await started.http.get('/visit').expect(503);
    await Promise.all([...setup.nodes, ...setup.sentinels].map((server) => server.start()));
    await setup.waitHealthy();
    await waitUntil('the app serves sessions again', async () => {
      return (await started.http.get('/visit')).status === 200;
    });
    expect(await visitTwice(started.http)).toEqual({ visits: 2 });
  }, 60_000);
});
