import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionService } from '../../lib/index.js';
import { holdRequest } from '../support/held-request.js';
import { handleOf, login, startSample, type SampleUnderTest } from '../support/sample-app.js';
import {
  SAMPLE_STORES,
  sampleMatrix,
  storeDeployment,
  type StoreInspector,
} from '../support/store-inspect.js';

const IDLE = 60_000;
const STORES = sampleMatrix(SAMPLE_STORES);

// SECURITY.md group E: revocation and logout. E16 (every instance), E17 (requests in flight) and
// E19 (revoke-all racing logins) are pinned in test/e2e/lifecycle.e2e.spec.ts and
// test/revocation-races.spec.ts too; E20 (fail closed) in h-availability.security.spec.ts.
describe.each(STORES)('E. revocation and logout (sample on %s, %s)', (store, platform) => {
  const deployment = storeDeployment(store);
  let sample: SampleUnderTest;
  let stored: StoreInspector;
  let port: number;

  beforeAll(async () => {
    sample = await startSample({
      SAMPLE_PLATFORM: platform,
      ...deployment.env,
      SESSION_IDLE_TIMEOUT: String(IDLE),
    });
    await sample.app.listen(0, '127.0.0.1');
    port = (sample.app.getHttpServer().address() as AddressInfo).port;
    stored = await deployment.inspect(sample);
  });
  afterAll(async () => {
    await stored?.close();
    await sample?.close();
  });

  it('E16: after logout, revoke, revoke-all or revoke-others the old cookie gets 401 on its next request', async () => {
    const loggedOut = await login(sample);
    await sample.http.post('/auth/logout').set('Cookie', loggedOut).expect(204);
    const [revoked, kept, othered] = [
      await login(sample, 'bob'),
      await login(sample, 'bob'),
      await login(sample, 'bob'),
    ];
    const revokedId = (await sample.http.get('/auth/me').set('Cookie', revoked)).body.session
      .id as string;
    await sample.http.delete(`/auth/sessions/${revokedId}`).set('Cookie', kept).expect(204);
    await sample.http.delete('/auth/sessions').set('Cookie', kept).expect(204);
    const all = await login(sample);
    await sample.app.get(SessionService).revokeAll('1');
    for (const cookie of [loggedOut, revoked, othered, all]) {
      await sample.http.get('/auth/me').set('Cookie', cookie).expect(401);
    }
    await sample.http.get('/auth/me').set('Cookie', kept).expect(200);
  });

  it('E17: a write in flight when its session is logged out does not bring it back: the cookie stays refused, the store keeps only the tombstone', async () => {
    const cookie = await login(sample, 'bob');
    await sample.http.post('/cart').set('Cookie', cookie).send({ item: 'before' }).expect(200);
    // Its headers are in (the session is loaded); its body, and so its write, comes after logout.
    const held = await holdRequest(port, 'POST', '/cart', cookie, { body: '{"item":"after"}' });
    await sample.http.post('/auth/logout').set('Cookie', cookie).expect(204);
    expect(await held.release()).toBe(401);
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(401);
    expect((await sample.http.get('/cart').set('Cookie', cookie)).body.items).toEqual([]);
    expect(await stored.record(handleOf(cookie))).toBeNull();
    expect(await stored.tombstoneTtl(handleOf(cookie))).toBeGreaterThan(0);
  });

  it('E18: denylist entries expire when the session would have expired anyway (one idle window plus the expiry grace)', async () => {
    const loggedOut = await login(sample);
    await sample.http.post('/auth/logout').set('Cookie', loggedOut).expect(204);
    const revoked = await login(sample, 'bob');
    await sample.app.get(SessionService).revokeAll('2');
    for (const cookie of [loggedOut, revoked]) {
      const ttl = await stored.tombstoneTtl(handleOf(cookie));
      expect(ttl).toBeGreaterThan(2 * IDLE - 5_000);
      // The grace is min(5 minutes, idle timeout): IDLE here.
      expect(ttl).toBeLessThanOrEqual(IDLE + IDLE);
    }
  });
});
