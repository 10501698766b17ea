import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionService } from '../../lib/index.js';
import { inspectRedis } from '../support/redis-inspect.js';
import {
  SAMPLE_PLATFORMS,
  handleOf,
  login,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';

const IDLE = 60_000;

// SECURITY.md group E: revocation and logout. E16 (every instance), E17 (requests in flight) and
// E19 (revoke-all racing logins) are pinned in test/e2e/lifecycle.e2e.spec.ts and
// test/revocation-races.spec.ts; E20 (fail closed) in h-availability.security.spec.ts.
describe.each(SAMPLE_PLATFORMS)('E. revocation and logout (%s)', (platform) => {
  let sample: SampleUnderTest;
  let redis: Awaited<ReturnType<typeof inspectRedis>>;

  beforeAll(async () => {
    sample = await startSample({
      SAMPLE_PLATFORM: platform,
      REDIS_URL: inject('redisUrl'),
      SESSION_IDLE_TIMEOUT: String(IDLE),
    });
    redis = await inspectRedis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis?.close();
    await sample?.close();
  });

  const tombstoneTtl = (cookie: string) =>
    redis.client.pTTL(`${redis.recordKey(sample.keyPrefix, handleOf(cookie))}:revoked`);

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

  it('E18: denylist entries expire when the session would have expired anyway (one idle window plus the expiry grace)', async () => {
    const loggedOut = await login(sample);
    await sample.http.post('/auth/logout').set('Cookie', loggedOut).expect(204);
    const revoked = await login(sample, 'bob');
    await sample.app.get(SessionService).revokeAll('2');
    for (const cookie of [loggedOut, revoked]) {
      const ttl = await tombstoneTtl(cookie);
      expect(ttl).toBeGreaterThan(2 * IDLE - 5_000);
      // The grace is min(5 minutes, idle timeout): IDLE here.
      expect(ttl).toBeLessThanOrEqual(IDLE + IDLE);
    }
  });
});
