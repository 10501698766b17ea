import { randomBytes, randomUUID } from 'node:crypto';
import connectPgSimple from 'connect-pg-simple';
import { RedisStore } from 'connect-redis';
import session, { type SessionData } from 'express-session';
import pg from 'pg';
import { createClient } from 'redis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SessionEvents, type RejectionReason } from '../../lib/index.js';
import {
  handleOf,
  login,
  sessionCookie,
  sessionIdOf,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';
import { signedSessionCookie } from '../support/signed-cookie.js';
import { sampleMatrix, storeDeployment, type StoreInspector } from '../support/store-inspect.js';

const newKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

/** The app before this module, on the same Redis or PostgreSQL, with express-session. */
interface LegacyStore {
  name: 'connect-redis' | 'connect-pg-simple';
  /** The sample's variable that names where the old sessions are. */
  env: Record<string, string>;
  /** Stores a session as the old app did. */
  save(sid: string, data: SessionData): Promise<void>;
  holds(sid: string): Promise<boolean>;
  close(): Promise<void>;
}

async function legacyStore(store: 'redis' | 'postgres'): Promise<LegacyStore> {
  if (store === 'redis') {
    const client = createClient({ url: inject('redisUrl') });
    await client.connect();
    const prefix = `test-legacy-${randomUUID()}:`;
    const legacy = new RedisStore({ client, prefix });
    return {
      name: 'connect-redis',
      env: { SESSION_LEGACY_PREFIX: prefix },
      save: async (sid, data) => void (await legacy.set(sid, data)),
      holds: async (sid) => (await client.exists(prefix + sid)) === 1,
      async close() {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) await client.del(keys);
        await client.close();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: inject('postgresUrl'), max: 2 });
  const table = `legacy_session_${randomBytes(4).toString('hex')}`;
  // connect-pg-simple as its README sets it up: its own table, created from its table.sql.
  const PgStore = connectPgSimple(session);
  const legacy = new PgStore({
    pool,
    tableName: table,
    createTableIfMissing: true,
    pruneSessionInterval: false,
  });
  return {
    name: 'connect-pg-simple',
    env: { SESSION_LEGACY_TABLE: table },
    save: (sid, data) =>
      new Promise((resolve, reject) =>
        legacy.set(sid, data, (err?: unknown) => (err ? reject(err as Error) : resolve())),
      ),
    holds: async (sid) =>
      (await pool.query(`SELECT 1 FROM "${table}" WHERE sid = $1`, [sid])).rowCount === 1,
    async close() {
      legacy.close();
      await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      await pool.end();
    },
  };
}

// Group F reads and rewrites what the store holds, as someone with access to it (or to a dump or
// backup of it) would, and has several instances share one store: not on the memory store, which
// lives in one process and has nothing of the old app to migrate.
const STORES = sampleMatrix(['redis', 'postgres']);

describe.each(STORES)(
  'F. storage and encryption: at rest, key rotation, migration (sample on %s) (%s)',
  (store, platform) => {
    const K1 = newKey('k1');
    const K2 = newKey('k2');
    const legacyName = store === 'redis' ? 'connect-redis' : 'connect-pg-simple';
    // What each test started, closed when it ends.
    const running: SampleUnderTest[] = [];
    const closing: (() => Promise<void>)[] = [];
    const inspectors = new Map<SampleUnderTest, StoreInspector>();

    // Each test gets its own key or table prefix and secret; instances within a test share them.
    const deployment = () => {
      const where = storeDeployment(store);
      const base = { ...where.env, SESSION_SECRET: randomBytes(32).toString('hex') };
      let stored: Promise<StoreInspector> | undefined;
      return async (env: Record<string, string> = {}) => {
        const sample = await startSample({ SAMPLE_PLATFORM: platform, ...base, ...env });
        running.push(sample);
        if (!stored) {
          stored = where.inspect(sample);
          closing.push(async () => (await stored!).close());
        }
        inspectors.set(sample, await stored);
        return sample;
      };
    };
    const storeOf = (sample: SampleUnderTest) => inspectors.get(sample)!;
    const rawRecord = (sample: SampleUnderTest, cookie: string) =>
      storeOf(sample).record(handleOf(cookie));
    const replaceRecord = (sample: SampleUnderTest, cookie: string, record: Buffer | string) =>
      storeOf(sample).replaceRecord(handleOf(cookie), record);
    const legacy = async () => {
      const old = await legacyStore(store);
      closing.push(() => old.close());
      return old;
    };
    const rejections = (sample: SampleUnderTest) => {
      const seen: RejectionReason[] = [];
      sample.app.get(SessionEvents).on('rejected', ({ reason }) => seen.push(reason));
      return seen;
    };

    afterEach(async () => {
      await Promise.all(running.splice(0).map((s) => s.close()));
      for (const close of closing.splice(0)) await close();
      inspectors.clear();
    });

    it('F21/F23: leaves nothing readable in a dump of the store after login: no user name, cart item, IP, user agent or session ID', async () => {
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
      const stored = storeOf(sample);
      const dump = await stored.dump();
      // The dump does hold the session: its handle, and its record's bytes (raw, or in hex).
      const record = (await rawRecord(sample, cookie))!;
      expect(dump).toContain(handleOf(cookie));
      expect(
        dump.includes(record.toString('latin1')) || dump.includes(record.toString('hex')),
      ).toBe(true);
      for (const secret of [
        'alice',
        'rare-book-4711',
        'secret-agent',
        '127.0.0.1',
        sessionIdOf(cookie),
      ]) {
        expect(dump).not.toContain(secret);
        expect(dump.toLowerCase()).not.toContain(Buffer.from(secret).toString('hex'));
      }
      for (const entry of await stored.entries()) expect(entry).not.toContain(sessionIdOf(cookie));
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
      await replaceRecord(sample, victim, flipped);
      await sample.http.get('/auth/me').set('Cookie', victim).expect(401);

      await replaceRecord(sample, victim, original.subarray(0, original.length - 4));
      await sample.http.get('/auth/me').set('Cookie', victim).expect(401);

      // Alice's ciphertext under Bob's key: it does not make Bob Alice.
      await replaceRecord(sample, attacker, original);
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

    it(`F: migrates a ${legacyName} session on first use: same cookie, still logged in, moved out of the old store`, async () => {
      const start = deployment();
      const secret = randomBytes(32).toString('hex');
      // The app before: express-session + connect-redis or connect-pg-simple, and its records.
      const old = await legacy();
      const sid = randomBytes(24).toString('base64url');
      const legacySession = {
        cookie: { originalMaxAge: null, httpOnly: true, path: '/' },
        user: { id: '1', username: 'alice' },
        cart: ['legacy-item'],
      } as unknown as SessionData;
      await old.save(sid, legacySession);

      const sample = await start({
        SESSION_SECRET: secret,
        SESSION_ENCRYPTION_KEYS: K1,
        ...old.env,
      });
      const cookie = signedSessionCookie('sid', sid, secret);
      const me = await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
      expect(me.body.user).toEqual({ id: '1', username: 'alice' });
      expect((await sample.http.get('/cart').set('Cookie', cookie)).body.items).toEqual([
        'legacy-item',
      ]);
      expect(await old.holds(sid)).toBe(false);
      expect((await rawRecord(sample, cookie))!.toString('latin1')).not.toContain('alice');
      expect(
        (await sample.http.get('/auth/sessions').set('Cookie', cookie).expect(200)).body,
      ).toHaveLength(1);
      // Logged out, it is gone for good: not read from the old store again.
      await sample.http.post('/auth/logout').set('Cookie', cookie).expect(204);
      await sample.http.get('/auth/me').set('Cookie', cookie).expect(401);
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
      await replaceRecord(sample, cookie, poisoned);
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

    it(`F: a ${legacyName} session that cannot be migrated (too large) reads as no session, never a 500`, async () => {
      const start = deployment();
      const secret = randomBytes(32).toString('hex');
      const old = await legacy();
      const sid = randomBytes(24).toString('base64url');
      const huge = {
        cookie: { originalMaxAge: null },
        user: { id: '1', username: 'alice' },
        cart: Array.from({ length: 200 }, (_, i) => `item-${i}`.padEnd(100, 'x')),
      } as unknown as SessionData;
      await old.save(sid, huge);
      const sample = await start({ SESSION_SECRET: secret, ...old.env });
      const cookie = signedSessionCookie('sid', sid, secret);
      await sample.http.get('/auth/me').set('Cookie', cookie).expect(401);
      await sample.http.get('/cart').set('Cookie', cookie).expect(200);
      // Nothing is lost: the legacy session stays where it was.
      expect(await old.holds(sid)).toBe(true);
    });
  },
);
