import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  login,
  SAMPLE_PLATFORMS,
  sessionCookie,
  setCookies,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';

type Store = 'redis' | 'memory';
// Every platform the sample runs on, each on both stores.
const SETUPS = SAMPLE_PLATFORMS.flatMap((platform) =>
  (['redis', 'memory'] as const).map((store): [string, Store] => [platform, store]),
);

describe.each(SETUPS)('sample app on %s, the %s store', (platform, store) => {
  let sample: SampleUnderTest;
  const redisUrl = inject('redisUrl');

  beforeAll(async () => {
    sample = await startSample({
      SAMPLE_PLATFORM: platform,
      REDIS_URL: store === 'redis' ? redisUrl : undefined,
    });
  });
  afterAll(() => sample.close());

  it('logs in, shows the current user with an opaque session handle, and logs out', async () => {
    const cookie = await login(sample);
    const me = await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
    expect(me.body.user).toEqual({ id: '1', username: 'alice' });
    expect(me.body.session.createdAt).toBeTypeOf('number');
    expect(me.body.session.lastActivityAt).toBeTypeOf('number');
    const sessionId = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
    expect(me.body.session.id).not.toContain(sessionId);
    expect(JSON.stringify(me.body)).not.toContain(sessionId);

    const out = await sample.http.post('/auth/logout').set('Cookie', cookie).expect(204);
    expect(setCookies(out).join()).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(401);
  });

  it('refuses wrong credentials with 401 and a malformed body with 400 and the reason', async () => {
    const wrong = await sample.http
      .post('/auth/login')
      .send({ username: 'alice', password: 'bob-password' })
      .expect(401);
    expect(setCookies(wrong)).toEqual([]);
    await sample.http.post('/auth/login').send({ username: 'nobody', password: 'x' }).expect(401);
    const bad = await sample.http.post('/auth/login').send({ username: 'alice' }).expect(400);
    expect(bad.body.message.join()).toMatch(/password/);
    await sample.http
      .post('/auth/login')
      .send({ username: 'alice', password: 'alice-password', admin: true })
      .expect(400);
    await sample.http
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"username":')
      .expect(400);
  });

  it('answers 401 JSON to /auth/me without a session', async () => {
    const res = await sample.http.get('/auth/me').expect(401);
    expect(res.body).toMatchObject({ statusCode: 401 });
  });

  it('keeps an anonymous cart and carries it into the session on login', async () => {
    const added = await sample.http.post('/cart').send({ item: 'book' }).expect(200);
    expect(added.body).toEqual({ items: ['book'] });
    const anonymous = sessionCookie(added);
    const more = await sample.http
      .post('/cart')
      .set('Cookie', anonymous)
      .send({ item: 'pen' })
      .expect(200);
    expect(more.body).toEqual({ items: ['book', 'pen'] });

    const authenticated = await login(sample, 'bob', anonymous);
    const cart = await sample.http.get('/cart').set('Cookie', authenticated).expect(200);
    expect(cart.body).toEqual({ items: ['book', 'pen'] });
  });

  it('issues a new session ID on login, so a planted (fixated) ID never becomes authenticated', async () => {
    const planted = sessionCookie(
      await sample.http.post('/cart').send({ item: 'bait' }).expect(200),
    );
    const victim = await login(sample, 'alice', planted);
    expect(victim).not.toEqual(planted);
    await sample.http.get('/auth/me').set('Cookie', planted).expect(401);
    const cart = await sample.http.get('/cart').set('Cookie', planted).expect(200);
    expect(cart.body).toEqual({ items: [] });
  });

  it('refuses a logged-out cookie replayed afterwards', async () => {
    const cookie = await login(sample);
    await sample.http.post('/auth/logout').set('Cookie', cookie).expect(204);
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(401);
    const cart = await sample.http.get('/cart').set('Cookie', cookie).expect(200);
    expect(cart.body).toEqual({ items: [] });
  });

  it('never authenticates a tampered cookie', async () => {
    const cookie = await login(sample);
    const [name, value] = cookie.split('=') as [string, string];
    const raw = decodeURIComponent(value);
    const flipped = raw.slice(0, 5) + (raw[5] === 'a' ? 'b' : 'a') + raw.slice(6);
    const badSignature = raw.slice(0, -3) + (raw.endsWith('AAA') ? 'BBB' : 'AAA');
    for (const forged of [flipped, badSignature, raw.split('.')[0]!, raw.slice(2)]) {
      await sample.http
        .get('/auth/me')
        .set('Cookie', `${name}=${encodeURIComponent(forged)}`)
        .expect(401);
    }
  });

  it('answers malformed cookies without a 500', async () => {
    const malformed = [
      'sid=',
      'sid=s:',
      'sid=s%3A.',
      'sid=%E0%A4%A',
      'sid=%ff%fe',
      `sid=s%3A${'A'.repeat(8000)}`,
      'sid=__proto__',
      'sid=a; sid=b',
      'sid=s%3A*',
      '__Host-sid=s%3A..%2F..%2Fetc',
      'sid="unterminated',
    ];
    for (const cookie of malformed) {
      const res = await sample.http.get('/auth/me').set('Cookie', cookie);
      expect(res.status, cookie).toBe(401);
      const cart = await sample.http.get('/cart').set('Cookie', cookie);
      expect(cart.status, cookie).toBe(200);
    }
  });

  it('reports its store on /health', async () => {
    const res = await sample.http.get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', store });
  });

  it('sends a Secure, HttpOnly, SameSite=Lax, host-only __Host- cookie behind a trusted HTTPS proxy', async () => {
    const proxied = await startSample({
      SAMPLE_PLATFORM: platform,
      REDIS_URL: store === 'redis' ? redisUrl : undefined,
      TRUST_PROXY: 'loopback',
    });
    try {
      const res = await proxied.http
        .post('/auth/login')
        .set('X-Forwarded-Proto', 'https')
        .send({ username: 'alice', password: 'alice-password' })
        .expect(200);
      const [header] = setCookies(res);
      expect(header).toMatch(/^__Host-sid=s%3A[\w-]{32}\.[\w%]+;/);
      const attributes = header!
        .split(';')
        .slice(1)
        .map((a) => a.trim().toLowerCase());
      expect(attributes).toEqual(
        expect.arrayContaining(['path=/', 'httponly', 'secure', 'samesite=lax']),
      );
      expect(attributes.some((a) => a.startsWith('domain') || a.startsWith('expires'))).toBe(false);
      const me = await proxied.http
        .get('/auth/me')
        .set('X-Forwarded-Proto', 'https')
        .set('Cookie', sessionCookie(res))
        .expect(200);
      expect(me.body.user.username).toBe('alice');
      // The prefixed cookie is never accepted on plain HTTP.
      await proxied.http.get('/auth/me').set('Cookie', sessionCookie(res)).expect(401);
    } finally {
      await proxied.close();
    }
  });

  it.runIf(store === 'redis')(
    'writes nothing to Redis for requests without a session',
    async () => {
      const fresh = await startSample({ SAMPLE_PLATFORM: platform, REDIS_URL: redisUrl });
      const client = createClient({ url: redisUrl });
      await client.connect();
      try {
        for (const path of ['/cart', '/auth/me', '/health', '/nope']) await fresh.http.get(path);
        await fresh.http.post('/auth/login').send({ username: 'alice', password: 'wrong' });
        await fresh.http.post('/auth/logout').expect(204);
        await fresh.http.post('/auth/logout').set('Cookie', 'sid=s%3Aforged.signature').expect(204);
        await fresh.http.get('/auth/me').set('Cookie', 'sid=s%3Aforged.signature');
        expect(await client.keys(`${fresh.keyPrefix}*`)).toEqual([]);
        // The check can see keys: a real login writes its session and the user's index.
        await login(fresh);
        expect(await client.keys(`${fresh.keyPrefix}*`)).toHaveLength(2);
      } finally {
        await client.close();
        await fresh.close();
      }
    },
  );
});
