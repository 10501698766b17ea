import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SessionEvents,
  SessionRevokedException,
  SessionTooLargeException,
} from '../../lib/index.js';
import { SessionLifetime } from '../../lib/lifetime/session-lifetime.js';
import { MemorySessionStore } from '../../lib/stores/memory-session.store.js';
import { SessionRecordCodec } from '../../lib/stores/session-record.codec.js';
import { SessionRecords } from '../../lib/stores/session-records.js';
import { UserSessionIndex } from '../../lib/user-session-index.js';

const IDLE = 1000;
const ABSOLUTE = 5000;
// The grace is the idle timeout when that is under 5 minutes.
const GRACE = IDLE;

function records() {
  const store = new MemorySessionStore();
  const lifetime = new SessionLifetime(IDLE, ABSOLUTE, 0.1);
  const codec = new SessionRecordCodec({ acceptPlaintext: false, maxBytes: 64 });
  const sessionRecords = new SessionRecords(store, codec, lifetime);
  const index = new UserSessionIndex(store, sessionRecords, lifetime, new SessionEvents());
  return { store, records: sessionRecords, index };
}

const stamps = (now = Date.now()) => ({ createdAt: now, lastActivityAt: now });

describe('SessionRecords on the memory store', () => {
  afterEach(() => vi.useRealTimers());

  it('hands out a fresh copy per load, so changing a loaded session does not change the stored one', async () => {
    const { store, records: r } = records();
    await r.write('h', stamps(), JSON.stringify({ cart: ['book'] }));
    const first = await r.load('h');
    (first as unknown as { session: { data: { cart: string[] } } }).session.data.cart.push('pen');
    expect(await r.load('h')).toMatchObject({ session: { data: { cart: ['book'] } } });
    await store.close();
  });

  it('keeps an idle session until its deadline plus the grace, then forgets it, so memory stays bounded', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store, records: r } = records();
    await r.write('a', stamps(), '{}');
    await r.write('b', stamps(), '{}');
    vi.setSystemTime(Date.now() + IDLE + GRACE - 1);
    expect(await r.load('a')).toHaveProperty('session');
    vi.setSystemTime(Date.now() + 2);
    expect(await r.load('a')).toEqual({ missing: 'unknown' });
    expect(store.size).toBe(0);
    await store.close();
  });

  it('keeps no session past its absolute lifetime plus the grace, whatever its last activity', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store, records: r } = records();
    const now = Date.now();
    await r.write('a', { createdAt: now - ABSOLUTE + 100, lastActivityAt: now }, '{}');
    vi.setSystemTime(now + 100 + GRACE + 1);
    expect(await r.load('a')).toEqual({ missing: 'unknown' });
    await store.close();
  });

  it('refuses to write a session past its deadline', async () => {
    const { store, records: r } = records();
    const now = Date.now();
    await expect(
      r.write('a', { createdAt: now, lastActivityAt: now - IDLE }, '{}'),
    ).rejects.toThrow(SessionRevokedException);
    expect(await r.load('a')).toEqual({ missing: 'unknown' });
    await store.close();
  });

  it('refuses to write back a revoked session, and tells it from an unknown one', async () => {
    const { store, records: r } = records();
    await r.write('a', stamps(), JSON.stringify({ cart: ['book'] }));
    expect(await r.revoke('a')).toBe(true);
    expect(await r.write('a', stamps(), JSON.stringify({ cart: ['pen'] }))).toBe(false);
    expect(await r.load('a')).toEqual({ missing: 'revoked' });
    expect(await r.load('never-issued')).toEqual({ missing: 'unknown' });
    await store.close();
  });

  it('refuses data over maxSessionBytes, not counting the metadata the module adds', async () => {
    const { store, records: r } = records();
    const meta = { ...stamps(), userId: 'u'.repeat(200), userAgent: 'Mozilla/5.0 '.repeat(20) };
    await r.write('a', meta, JSON.stringify({ cart: ['x'.repeat(40)] }));
    await expect(
      r.write('b', stamps(), JSON.stringify({ cart: ['x'.repeat(80)] })),
    ).rejects.toThrow(SessionTooLargeException);
    await store.close();
  });

  it('keeps a per-user index that lasts as long as its sessions can, then expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store, index } = records();
    const now = Date.now();
    await index.add('h1', { ...stamps(now), userId: '42' });
    expect(await index.revokeEvery('42', 'revoke-all')).toBe(1);
    await index.add('h2', { ...stamps(now), userId: '42' });
    vi.setSystemTime(now + ABSOLUTE + GRACE + 1);
    expect(await index.revokeEvery('42', 'revoke-all')).toBe(0);
    await store.close();
  });

  it('drops entries older than the absolute timeout when the next login indexes its session', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store, index } = records();
    const now = Date.now();
    await index.add('old', { ...stamps(now), userId: '7' });
    vi.setSystemTime(now + ABSOLUTE - 1);
    expect(await index.add('recent', { ...stamps(), userId: '7' })).toBe(2);
    vi.setSystemTime(now + ABSOLUTE + GRACE + 1);
    expect(await index.add('new', { ...stamps(), userId: '7' })).toBe(2);
    expect(await index.revokeEvery('7', 'revoke-all')).toBe(2);
    await store.close();
  });
});
