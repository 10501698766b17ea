import { randomBytes, randomUUID } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionEvents, type RejectionReason } from '../../lib/index.js';
import { inspectRedis } from '../support/redis-inspect.js';
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

const newKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe.each(SAMPLE_PLATFORMS)(
  'F. storage and encryption: at rest, key rotation, migration (sample on Redis) (%s)',
  (platform) => {
    const redisUrl = inject('redisUrl');
    const K1 = newKey('k1');
    const K2 = newKey('k2');
    let redis: Awaited<ReturnType<typeof inspectRedis>>;
    const running: SampleUnderTest[] = [];

    // Each test gets its own key prefix and secret; instances within a test share them.
    const deployment = () => {
      const base = {
        REDIS_URL: redisUrl,
        SESSION_KEY_PREFIX: `test-${randomUUID()}:`,
        SESSION_SECRET: randomBytes(32).toString('hex'),
      };
      return async (env: Record<string, string> = {}) => {
        const sample = await startSample({ SAMPLE_PLATFORM: platform, ...base, ...env });
        running.push(sample);
        return sample;
      };
    };
    const recordKey = (sample: SampleUnderTest, cookie: string) =>
      redis.recordKey(sample.keyPrefix, handleOf(cookie));
    const rawRecord = async (sample: SampleUnderTest, cookie: string) =>
      (await redis.client
        .withTypeMapping({ 36: Buffer })
        .get(recordKey(sample, cookie))) as Buffer | null;
    const rejections = (sample: SampleUnderTest) => {
      const seen: RejectionReason[] = [];
      sample.app.get(SessionEvents).on('rejected', ({ reason }) => seen.push(reason));
      return seen;
    };

    beforeAll(async () => {
      redis = await inspectRedis(redisUrl);
    });
    afterAll(async () => {
      await Promise.all(running.map((s) => s.close()));
      await redis.close();
    });

    it('F21/F23: leaves nothing readable in Redis after login: no user name, cart item, IP, user agent or session ID', async () => {
      const start = deployment();
      const sample = await start({ SESSION_ENCRYPTION_KEYS: K1 });
      const anonymous = sessionCookie(
        await sample.http.post('/cart').send({ item: 'rare-book-4711' }).expect(200),
      );
      const cookie = (
        await sample.http
          .post('/auth/login')
          .set('Cookie', anonymous)
          .set('User-Agent', 'secret-agent/1.0')
          .send({ username: 'alice', password: 'alice-password' })
          .expect(200)
      ).headers['set-cookie']![0]!.split(';')[0]!;
      await sample.http.get('/auth/sessions').set('Cookie', cookie).expect(200);
      const bytes = redis.client.withTypeMapping({ 36: Buffer });
      const dump: Buffer[] = [];
      for (const key of await redis.keys(sample.keyPrefix)) {
        const type = await redis.client.type(key);
        if (type === 'string') dump.push((await bytes.get(key)) as Buffer);
        else if (type === 'zset') dump.push(...((await bytes.zRange(key, 0, -1)) as Buffer[]));
        else dump.push(...Object.values((await bytes.hGetAll(key)) as Record<string, Buffer>));
        expect(key).not.toContain(sessionIdOf(cookie));
      }
      const text = Buffer.concat(dump).toString('latin1');
      for (const secret of [
        'alice',
        'rare-book-4711',
        'secret-agent',
        '127.0.0.1',
        sessionIdOf(cookie),
      ]) {
        expect(text).not.toContain(secret);
      }
      expect((await sample.http.get('/cart').set('Cookie', cookie)).body.items).toEqual([
        'rare-book-4711',
      ]);
    });

    it('F21/F22: logs a tampered, truncated or moved record out cleanly (401, reported), never a 500', async () => {
      const start = deployment();
      const sample = await start({ SESSION_ENCRYPTION_KEYS: K1 });
      const seen = rejections(sample);
      const victim = await login(sample, 'alice');
      const attacker = await login(sample, 'bob');
      const original = (await rawRecord(sample, victim))!;

      const flipped = Buffer.from(original);
      flipped[flipped.length - 20]! ^= 0x40;
      await redis.client.set(recordKey(sample, victim), flipped);
      await sample.http.get('/auth/me').set('Cookie', victim).expect(401);

      await redis.client.set(recordKey(sample, victim), original.subarray(0, original.length - 4));
      await sample.http.get('/auth/me').set('Cookie', victim).expect(401);

      // Alice's ciphertext under Bob's key: it does not make Bob Alice.
      await redis.client.set(recordKey(sample, attacker), original);
      await sample.http.get('/auth/me').set('Cookie', attacker).expect(401);
      expect(seen.filter((r) => r === 'undecryptable')).toHaveLength(3);
    });

    it('F22: rotates keys without logging anyone out, re-encrypts on write, and logs out a retired key cleanly', async () => {
      const start = deployment();
      const before = await start({ SESSION_ENCRYPTION_KEYS: K1 });
      const rotated = await login(before, 'alice');
      const idle = await login(before, 'bob');
      expect((await rawRecord(before, rotated))!.subarray(2, 4).toString()).toBe('k1');

      const during = await start({ SESSION_ENCRYPTION_KEYS: `${K2},${K1}` });
      await during.http.get('/auth/me').set('Cookie', rotated).expect(200);
      await during.http.post('/cart').set('Cookie', rotated).send({ item: 'pen' }).expect(200);
      expect((await rawRecord(during, rotated))!.subarray(2, 4).toString()).toBe('k2');

      const after = await start({ SESSION_ENCRYPTION_KEYS: K2 });
      const seen = rejections(after);
      await after.http.get('/auth/me').set('Cookie', rotated).expect(200);
      await after.http.get('/auth/me').set('Cookie', idle).expect(401);
      expect(seen).toEqual(['undecryptable']);
    });

    it('F22: stops startup with a clear message for a key of the wrong length', async () => {
      const start = deployment();
      await expect(
        start({ SESSION_ENCRYPTION_KEYS: randomBytes(16).toString('base64') }),
      ).rejects.toThrow(
        /`encryptionKeys\[0\]` decodes to 16 bytes: each key must be 32 random bytes/,
      );
    });

    it('A4: rotates cookie-signing secrets: the first signs, all verify, a removed one no longer verifies', async () => {
      const start = deployment();
      const [oldSecret, newSecret] = [
        randomBytes(32).toString('hex'),
        randomBytes(32).toString('hex'),
      ];
      const first = await start({ SESSION_SECRET: oldSecret });
      const old = await login(first);
      const both = await start({ SESSION_SECRET: `${newSecret},${oldSecret}` });
      await both.http.get('/auth/me').set('Cookie', old).expect(200);
      const fresh = await login(both);
      expect(fresh).toBe(signedSessionCookie('sid', sessionIdOf(fresh), newSecret));
      const onlyNew = await start({ SESSION_SECRET: newSecret });
      await onlyNew.http.get('/auth/me').set('Cookie', old).expect(401);
      await onlyNew.http.get('/auth/me').set('Cookie', fresh).expect(200);
    });

    it('F: migrates a connect-redis session on first use: same cookie, still logged in, old key gone', async () => {
      const start = deployment();
      const secret = randomBytes(32).toString('hex');
      const legacyPrefix = `test-legacy-${randomUUID()}:`;
      // The app before: express-session + connect-redis, writing its usual JSON records.
      const legacyStore = new RedisStore({ client: redis.client, prefix: legacyPrefix });
      const sid = randomBytes(24).toString('base64url');
      const legacySession = {
        cookie: { originalMaxAge: null, httpOnly: true, path: '/' },
        user: { id: '1', username: 'alice' },
        cart: ['legacy-item'],
      } as unknown as SessionData;
      await legacyStore.set(sid, legacySession);

      const sample = await start({
        SESSION_SECRET: secret,
        SESSION_ENCRYPTION_KEYS: K1,
        SESSION_LEGACY_PREFIX: legacyPrefix,
      });
      const cookie = signedSessionCookie('sid', sid, secret);
      const me = await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
      expect(me.body.user).toEqual({ id: '1', username: 'alice' });
      expect((await sample.http.get('/cart').set('Cookie', cookie)).body.items).toEqual([
        'legacy-item',
      ]);
      expect(await redis.client.exists(legacyPrefix + sid)).toBe(0);
      expect((await rawRecord(sample, cookie))!.toString('latin1')).not.toContain('alice');
      expect(
        (await sample.http.get('/auth/sessions').set('Cookie', cookie).expect(200)).body,
      ).toHaveLength(1);
    });

    it('F21: reads records from before encryption only when told to, and encrypts them on their next write', async () => {
      const start = deployment();
      const plain = await start();
      const anonymous = sessionCookie(
        await plain.http.post('/cart').send({ item: 'plain-item-4711' }).expect(200),
      );
      const cookie = await login(plain, 'alice', anonymous);
      expect((await rawRecord(plain, cookie))!.toString()).toContain('plain-item-4711');

      const strict = await start({ SESSION_ENCRYPTION_KEYS: K1 });
      await strict.http.get('/auth/me').set('Cookie', cookie).expect(401);

      const migrating = await start({
        SESSION_ENCRYPTION_KEYS: K1,
        SESSION_ACCEPT_PLAINTEXT: 'true',
      });
      await migrating.http.get('/auth/me').set('Cookie', cookie).expect(200);
      await migrating.http.post('/cart').set('Cookie', cookie).send({ item: 'x' }).expect(200);
      expect((await rawRecord(migrating, cookie))!.toString('latin1')).not.toContain(
        'plain-item-4711',
      );
      await strict.http.get('/auth/me').set('Cookie', cookie).expect(200);
    });

    it('G26: does not let a stored record with __proto__ pollute prototypes or smuggle properties', async () => {
      const start = deployment();
      const sample = await start();
      const anonymous = sessionCookie(
        await sample.http.post('/cart').send({ item: 'book' }).expect(200),
      );
      const cookie = await login(sample, 'alice', anonymous);
      const record = (await rawRecord(sample, cookie))!.toString();
      // A record is `[[meta…],{data…}]`: smuggle keys into the (non-empty) data object.
      const smuggled =
        '"__proto__":{"polluted":true,"user":{"id":"666"}},"constructor":{"prototype":{"polluted":true}},';
      const poisoned = record.replace('],{', `],{${smuggled}`);
      expect(poisoned).toContain('__proto__');
      await redis.client.set(recordKey(sample, cookie), poisoned, {
        expiration: { type: 'PX', value: 60_000 },
      });
      const me = await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
      expect(me.body.user.id).toBe('1');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).user).toBeUndefined();
    });

    it('G27: refuses a session write over maxSessionBytes with 413 and keeps the session as it was', async () => {
      const start = deployment();
      const sample = await start({ SESSION_ENCRYPTION_KEYS: K1 });
      const cookie = await login(sample);
      let last = 200;
      let stored = 0;
      for (let i = 0; i < 100 && last === 200; i++) {
        last = (
          await sample.http
            .post('/cart')
            .set('Cookie', cookie)
            .send({ item: `${i}`.padEnd(100, 'x') })
        ).status;
        if (last === 200) stored++;
      }
      expect(last).toBe(413);
      const cart = await sample.http.get('/cart').set('Cookie', cookie).expect(200);
      expect(cart.body.items).toHaveLength(stored);
      await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
    });

    it('F: a connect-redis session that cannot be migrated (too large) reads as no session, never a 500', async () => {
      const start = deployment();
      const secret = randomBytes(32).toString('hex');
      const legacyPrefix = `test-legacy-${randomUUID()}:`;
      const legacyStore = new RedisStore({ client: redis.client, prefix: legacyPrefix });
      const sid = randomBytes(24).toString('base64url');
      const huge = {
        cookie: { originalMaxAge: null },
        user: { id: '1', username: 'alice' },
        cart: Array.from({ length: 200 }, (_, i) => `item-${i}`.padEnd(100, 'x')),
      } as unknown as SessionData;
      await legacyStore.set(sid, huge);
      const sample = await start({ SESSION_SECRET: secret, SESSION_LEGACY_PREFIX: legacyPrefix });
      const cookie = signedSessionCookie('sid', sid, secret);
      await sample.http.get('/auth/me').set('Cookie', cookie).expect(401);
      await sample.http.get('/cart').set('Cookie', cookie).expect(200);
      // Nothing is lost: the legacy session stays where it was.
      expect(await redis.client.exists(legacyPrefix + sid)).toBe(1);
      await redis.client.del(legacyPrefix + sid);
    });
  },
);
