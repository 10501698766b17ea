import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectRedis } from '../support/redis-inspect.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { login, startSample, type SampleUnderTest } from '../support/sample-app.js';

// A request must end within this long while Redis is away: the command timeout plus slack.
const BOUNDED_MS = 5000;

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('sample app when Redis goes away and comes back', () => {
  let redis: RedisServer;
  let sample: SampleUnderTest;

  beforeAll(async () => {
    // Persistent, so a restart keeps the data as a production Redis would.
    redis = await startRedisServer({ persistent: true });
    sample = await startSample({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await sample?.close();
    await redis?.stop();
  });

  it('answers 503 (never 200, never a hang) while Redis is down, keeps public routes up, then recovers', async () => {
    const cookie = await login(sample);
    await sample.http.post('/cart').set('Cookie', cookie).send({ item: 'book' }).expect(200);

    await redis.stop();
    const down = (req: ReturnType<typeof sample.http.get>) => req.timeout(BOUNDED_MS);
    const me = await down(sample.http.get('/auth/me').set('Cookie', cookie));
    expect(me.status).toBe(503);
    expect(me.body).toMatchObject({ statusCode: 503 });
    expect(JSON.stringify(me.body)).not.toMatch(/ECONNREFUSED|at .*\.js/);
    expect(
      (await down(sample.http.post('/cart').set('Cookie', cookie).send({ item: 'pen' }))).status,
    ).toBe(503);
    expect((await down(sample.http.post('/cart').send({ item: 'pen' }))).status).toBe(503);
    expect((await down(sample.http.post('/auth/logout').set('Cookie', cookie))).status).toBe(503);
    // The guard fails closed: a protected route is never let through without the store.
    expect((await down(sample.http.get('/auth/sessions').set('Cookie', cookie))).status).toBe(503);
    expect((await down(sample.http.get('/health'))).body).toEqual({
      status: 'unavailable',
      store: 'redis',
    });
    // A route that does not touch the session still works.
    expect((await down(sample.http.get('/cart'))).body).toEqual({ items: [] });

    await redis.start();
    await eventually(async () => (await sample.http.get('/health')).status === 200);
    const back = await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
    expect(back.body.user.username).toBe('alice');
    // The failed write while Redis was down did not half-happen; the earlier one is intact.
    expect((await sample.http.get('/cart').set('Cookie', cookie)).body).toEqual({
      items: ['book'],
    });
  });

  it('answers 503 within the command timeout while Redis is up but not answering (CLIENT PAUSE)', async () => {
    const cookie = await login(sample);
    const admin = await inspectRedis(redis.url);
    try {
      await admin.client.sendCommand(['CLIENT', 'PAUSE', '4000', 'ALL']);
      const me = await sample.http.get('/auth/me').set('Cookie', cookie).timeout(BOUNDED_MS);
      expect(me.status).toBe(503);
    } finally {
      await admin.client.sendCommand(['CLIENT', 'UNPAUSE']);
      await admin.close();
    }
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
  });
});
