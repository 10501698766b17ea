import type { SessionData } from 'express-session';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemorySessionStore } from '../../lib/index.js';

const session = (extra: object = {}) =>
  ({ cookie: { originalMaxAge: null }, ...extra }) as unknown as SessionData;

function get(store: MemorySessionStore, sid: string): Promise<SessionData | null | undefined> {
  return new Promise((resolve, reject) =>
    store.get(sid, (err, value) => (err ? reject(err) : resolve(value))),
  );
}
function length(store: MemorySessionStore): Promise<number | undefined> {
  return new Promise((resolve) => store.length((_, n) => resolve(n)));
}
const set = (store: MemorySessionStore, sid: string, data: SessionData) =>
  new Promise<void>((resolve) => store.set(sid, data, () => resolve()));

describe('MemorySessionStore', () => {
  afterEach(() => vi.useRealTimers());

  it('returns a copy, so changing a loaded session does not change the stored one', async () => {
    const store = new MemorySessionStore(60_000);
    await set(store, 'a', session({ cart: ['book'] }));
    const loaded = (await get(store, 'a')) as unknown as { cart: string[] };
    loaded.cart.push('pen');
    expect(await get(store, 'a')).toMatchObject({ cart: ['book'] });
    store.close();
  });

  it('expires a session after its idle TTL and forgets it, so memory stays bounded', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new MemorySessionStore(1000);
    await set(store, 'a', session());
    await set(store, 'b', session());
    vi.setSystemTime(Date.now() + 999);
    expect(await get(store, 'a')).toBeTruthy();
    vi.setSystemTime(Date.now() + 2);
    expect(await get(store, 'a')).toBeNull();
    expect(await length(store)).toBe(0);
    store.close();
  });

  it('extends the TTL on touch', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new MemorySessionStore(1000);
    await set(store, 'a', session());
    vi.setSystemTime(Date.now() + 800);
    await new Promise<void>((resolve) => store.touch('a', session(), () => resolve()));
    vi.setSystemTime(Date.now() + 800);
    expect(await get(store, 'a')).toBeTruthy();
    store.close();
  });

  it('honours a persistent cookie expiry', async () => {
    const store = new MemorySessionStore(60_000);
    await set(store, 'a', session({ cookie: { expires: new Date(Date.now() - 1).toISOString() } }));
    expect(await get(store, 'a')).toBeNull();
    store.close();
  });
});
