import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionEvents, SessionService, type SessionEventMap } from '../../lib/index.js';
import {
  SAMPLE_PLATFORMS,
  login,
  setCookies,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IDLE = 1000;
const ABSOLUTE = 2500;

// Expiry has one owner, the engine: the first request after a timeout finds the record (kept a
// short grace past its deadline), ends it visibly and stores nothing new. Real waits, real stores.
describe.each(
  SAMPLE_PLATFORMS.flatMap((platform) =>
    (['memory', 'redis'] as const).map((kind) => [kind, platform] as const),
  ),
)('an expired session, on the %s store (%s)', (kind, platform) => {
  let sample: SampleUnderTest;
  const seen: { event: string; payload: unknown }[] = [];

  beforeAll(async () => {
    sample = await startSample({
      SAMPLE_PLATFORM: platform,
      REDIS_URL: kind === 'redis' ? inject('redisUrl') : undefined,
      SESSION_KEY_PREFIX: `test-${randomUUID()}:`,
      SESSION_IDLE_TIMEOUT: String(IDLE),
      SESSION_ABSOLUTE_TIMEOUT: String(ABSOLUTE),
    });
    const events = sample.app.get(SessionEvents);
    for (const event of ['expired', 'rejected', 'created'] as const) {
      events.on(event, (payload) => seen.push({ event, payload }));
    }
  });
  afterAll(() => sample?.close());

  const me = (cookie: string) => sample.http.get('/auth/me').set('Cookie', cookie);

  it('answers 401 "Session expired", clears the cookie, emits `expired` once and stores nothing new', async () => {
    const cookie = await login(sample);
    await me(cookie).expect(200);
    await sleep(IDLE + 150);
    seen.length = 0;
    const res = await me(cookie).expect(401);
    expect(res.body.message).toBe('Session expired (idle timeout)');
    expect(setCookies(res)).toEqual([expect.stringMatching(/^sid=;.*Expires=Thu, 01 Jan 1970/)]);
    expect(seen).toEqual([
      { event: 'expired', payload: expect.objectContaining({ userId: '1', reason: 'idle' }) },
    ]);
    expect(await sample.app.get(SessionService).list('1')).toEqual([]);

    // A replay of the ended cookie is a replay of a revoked session.
    seen.length = 0;
    await me(cookie).expect(401);
    expect(seen).toEqual([
      { event: 'rejected', payload: expect.objectContaining({ reason: 'revoked' }) },
    ]);
  });

  it('ends a session at its absolute lifetime however active, with the absolute reason', async () => {
    const cookie = await login(sample);
    const started = Date.now();
    let last = await me(cookie);
    while (last.status === 200 && Date.now() - started < ABSOLUTE + 1000) {
      await sleep(IDLE / 4);
      last = await me(cookie);
    }
    expect(last.status).toBe(401);
    expect(last.body.message).toBe('Session expired (absolute timeout)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(ABSOLUTE);
  });

  it('lets a public route go on, anonymous, after clearing the expired cookie', async () => {
    const cookie = await login(sample);
    await sleep(IDLE + 150);
    const res = await sample.http.get('/cart').set('Cookie', cookie).expect(200, { items: [] });
    expect(setCookies(res)).toEqual([expect.stringMatching(/^sid=;/)]);
    const expired = seen.filter((e) => e.event === 'expired');
    expect((expired.at(-1)!.payload as SessionEventMap['expired']).reason).toBe('idle');
  });
});
