import { ConsoleLogger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  login,
  sessionCookie,
  sessionIdOf,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';
import { SAMPLE_STORES, sampleMatrix, storeDeployment } from '../support/store-inspect.js';

const STORES = sampleMatrix(SAMPLE_STORES);

// SECURITY.md group D: fixation, and where a session ID may come from and go to.
describe.each(STORES)('D. fixation and the ID in transit (sample on %s, %s)', (store, platform) => {
  let sample: SampleUnderTest;
  const logLines: string[] = [];

  beforeAll(async () => {
    sample = await startSample({ SAMPLE_PLATFORM: platform, ...storeDeployment(store).env });
    // Everything the app logs from here on, to look for session IDs in it.
    const capture = new (class extends ConsoleLogger {
      protected override printMessages(messages: unknown[]): void {
        logLines.push(messages.map(String).join(' '));
      }
    })();
    sample.app.useLogger(capture);
  });
  afterAll(() => sample?.close());

  it('D14: login issues a new ID; the pre-login (planted) ID stays anonymous and its data stays behind', async () => {
    const planted = sessionCookie(
      await sample.http.post('/cart').send({ item: 'bait' }).expect(200),
    );
    const loggedIn = await login(sample, 'alice', planted);
    expect(sessionIdOf(loggedIn)).not.toBe(sessionIdOf(planted));
    await sample.http.get('/auth/me').set('Cookie', planted).expect(401);
    await sample.http.get('/auth/sessions').set('Cookie', planted).expect(401);
    expect((await sample.http.get('/cart').set('Cookie', planted)).body.items).toEqual([]);
  });

  it('D15: the ID is taken from the cookie only — never from the query, body or a header', async () => {
    const cookie = await login(sample);
    const value = cookie.split('=')[1]!;
    const id = sessionIdOf(cookie);
    for (const carrier of [
      sample.http.get(`/auth/me?sid=${value}&session=${id}`),
      sample.http.get('/auth/me').set('X-Session-Id', id).set('Authorization', `Bearer ${id}`),
      sample.http.get('/auth/me').set('Session', value),
    ]) {
      await carrier.expect(401);
    }
    await sample.http.post('/auth/logout').send({ sid: value, sessionId: id }).expect(204);
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
  });

  it('D15: the ID never appears in a response body, a URL or a log line', async () => {
    const cookie = await login(sample);
    const id = sessionIdOf(cookie);
    const bodies = [
      await sample.http.get('/auth/me').set('Cookie', cookie),
      await sample.http.get('/auth/sessions').set('Cookie', cookie),
      await sample.http.get('/account').set('Cookie', cookie),
      await sample.http.get('/cart').set('Cookie', cookie),
      await sample.http.get('/auth/me').set('Cookie', `${cookie}x`),
      await sample.http.post('/auth/logout').set('Cookie', cookie),
      await sample.http.get('/auth/me').set('Cookie', cookie),
    ];
    for (const res of bodies) {
      expect(res.text).not.toContain(id);
      expect(res.headers.location ?? '').not.toContain(id);
    }
    const log = logLines.join('\n');
    expect(log).toMatch(/created .*destroyed .*rejected /s); // the audit trail did log this flow
    expect(log).not.toContain(id);
  });
});
