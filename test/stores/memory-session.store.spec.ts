import type { SessionData } from 'express-session';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionEvents, type SessionEventMap } from '../../lib/index.js';
import { SessionLifetime } from '../../lib/lifetime/session-lifetime.js';
import { MemorySessionStore } from '../../lib/stores/memory-session.store.js';
import { SessionRecordCodec } from '../../lib/stores/session-record.codec.js';

const IDLE = 1000;
const ABSOLUTE = 5000;

function storeWithEvents() {
  const events = new SessionEvents();
  const rejected: SessionEventMap['rejected'][] = [];
  events.on('rejected', (e) => rejected.push(e));
  const codec = new SessionRecordCodec({
    acceptPlaintext: false,
    maxBytes: 8192,
    cookie: { originalMaxAge: null, path: '/', httpOnly: true },
  });
  const store = new MemorySessionStore(new SessionLifetime(IDLE, ABSOLUTE, 0.1), events, codec);
  return { store, rejected };
}

const session = (extra: object = {}) =>
  ({ cookie: { originalMaxAge: null }, ...extra }) as unknown as SessionData;

const get = (store: MemorySessionStore, sid: string) =>
  new Promise<SessionData | null | undefined>((resolve, reject) =>
    store.get(sid, (err, value) => (err ? reject(err) : resolve(value))),
  );
const set = (store: MemorySessionStore, sid: string, data: SessionData) =>
  new Promise<unknown>((resolve) => store.set(sid, data, (err) => resolve(err)));
const destroy = (store: MemorySessionStore, sid: string) =>
  new Promise<void>((resolve) => store.destroy(sid, () => resolve()));

describe('MemorySessionStore', () => {
  afterEach(() => vi.useRealTimers());

  it('returns a copy, so changing a loaded session does not change the stored one', async () => {
    const { store } = storeWithEvents();
    await set(store, 'a', session({ cart: ['book'] }));
    const loaded = (await get(store, 'a')) as unknown as { cart: string[] };
    loaded.cart.push('pen');
    expect(await get(store, 'a')).toMatchObject({ cart: ['book'] });
    await store.close();
  });

  it('expires a session idle past the timeout and forgets it, so memory stays bounded', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store } = storeWithEvents();
    await set(store, 'a', session());
    await set(store, 'b', session());
    vi.setSystemTime(Date.now() + IDLE - 1);
    expect(await get(store, 'a')).toBeTruthy();
    vi.setSystemTime(Date.now() + 2);
    expect(await get(store, 'a')).toBeNull();
    expect(store.size).toBe(0);
    await store.close();
  });

  it('never keeps a session past its absolute lifetime, whatever its last activity', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store } = storeWithEvents();
    const now = Date.now();
    await set(
      store,
      'a',
      session({ meta: { createdAt: now - ABSOLUTE + 100, lastActivityAt: now } }),
    );
    vi.setSystemTime(now + 101);
    expect(await get(store, 'a')).toBeNull();
    await store.close();
  });

  it('refuses to write back a destroyed session and reports the attempt', async () => {
    const { store, rejected } = storeWithEvents();
    await set(store, 'a', session({ cart: ['book'] }));
    await destroy(store, 'a');
    const err = await set(store, 'a', session({ cart: ['book', 'pen'] }));
    expect(err).toMatchObject({ message: 'Session revoked' });
    expect(await get(store, 'a')).toBeNull();
    expect(rejected.map((e) => e.reason)).toEqual(['write-after-revoke']);
    // A lookup's reason waits for the middleware, which reports it with the client's address.
    expect(store.takeRejection('a').reason).toBe('revoked');
  });

  it('tells an unknown ID from a revoked one, by handle, never the raw ID', async () => {
    const { store } = storeWithEvents();
    expect(await get(store, 'never-issued')).toBeNull();
    const rejection = store.takeRejection('never-issued');
    expect(rejection.reason).toBe('unknown');
    expect(rejection.handle).not.toContain('never-issued');
  });

  it('keeps a per-user index that expires with the absolute lifetime of its sessions', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store } = storeWithEvents();
    const now = Date.now();
    await store.addToIndex({ createdAt: now, lastActivityAt: now, userId: '42' }, 'h1');
    expect([...(await store.readIndex('42')).keys()]).toEqual(['h1']);
    vi.setSystemTime(now + ABSOLUTE + 1);
    expect((await store.readIndex('42')).size).toBe(0);
    await store.close();
  });
});
