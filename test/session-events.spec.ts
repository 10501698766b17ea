import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  SESSION_EVENT_NAMES,
  SessionEvents,
  SessionService,
  type SessionEventMap,
  type SessionEventName,
} from '../lib/index.js';
import { login, startSample, type SampleUnderTest } from './support/sample-app.js';
import { signedSessionCookie } from './support/signed-cookie.js';

const SECRET = 'events-test-secret-of-at-least-32-bytes!';

describe('session lifecycle events', () => {
  let sample: SampleUnderTest;
  const seen: { event: SessionEventName; payload: SessionEventMap[SessionEventName] }[] = [];

  beforeAll(async () => {
    sample = await startSample({ REDIS_URL: inject('redisUrl'), SESSION_SECRET: SECRET });
    const events = sample.app.get(SessionEvents);
    for (const event of SESSION_EVENT_NAMES) {
      events.on(event, (payload) => seen.push({ event, payload }));
    }
    // A listener that throws must not break a request.
    events.on('created', () => {
      throw new Error('audit log down');
    });
  });
  afterAll(() => sample?.close());

  it('reports login, logout, revocation and a replayed logged-out cookie, never with a raw session ID', async () => {
    const first = await login(sample);
    const second = await login(sample);
    await sample.app
      .get(SessionService)
      .revoke('1', (await sample.http.get('/auth/me').set('Cookie', second)).body.session.id);
    await sample.http.post('/auth/logout').set('Cookie', first).expect(204);
    await sample.http.get('/auth/me').set('Cookie', first).expect(401);

    const names = seen.map((e) => e.event);
    expect(names.filter((n) => n === 'created')).toHaveLength(2);
    expect(seen).toContainEqual({
      event: 'revoked',
      payload: expect.objectContaining({ userId: '1', cause: 'revoke' }),
    });
    expect(seen).toContainEqual({
      event: 'destroyed',
      payload: expect.objectContaining({ userId: '1' }),
    });
    expect(seen).toContainEqual({
      event: 'rejected',
      payload: expect.objectContaining({ reason: 'revoked' }),
    });
    for (const cookie of [first, second]) {
      const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
      expect(JSON.stringify(seen)).not.toContain(sid);
    }
  });

  it('reports an unsigned, a badly signed and a foreign-secret cookie as tampered, without the cookie', async () => {
    seen.length = 0;
    const forged = [
      'sid=s%3Asome-id.bad-signature',
      'sid=plain-unsigned-id',
      signedSessionCookie('sid', 'some-id', 'another-apps-secret-of-32-bytes-or-more!!'),
    ];
    for (const cookie of forged)
      await sample.http.get('/auth/me').set('Cookie', cookie).expect(401);
    expect(seen.map((e) => [e.event, (e.payload as SessionEventMap['rejected']).reason])).toEqual([
      ['rejected', 'tampered'],
      ['rejected', 'tampered'],
      ['rejected', 'tampered'],
    ]);
    expect(JSON.stringify(seen)).not.toMatch(/some-id|plain-unsigned-id/);
  });

  it('reports a well-signed but never-issued session ID as rejected, and does not adopt it', async () => {
    seen.length = 0;
    const forged = signedSessionCookie('sid', 'never-issued-but-validly-signed', SECRET);
    const res = await sample.http.get('/auth/me').set('Cookie', forged).expect(401);
    // Not adopted: no cookie comes back naming it (A3 checks nothing is stored under it). It is
    // not cleared either: an anonymous visitor's CSRF tokens are bound to such an ID.
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(seen).toEqual([
      {
        event: 'rejected',
        payload: {
          handle: expect.any(String),
          reason: 'unknown',
          ip: expect.stringMatching(/127\.0\.0\.1/),
        },
      },
    ]);
  });
});
