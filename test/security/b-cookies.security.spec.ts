import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  login,
  sessionCookie,
  setCookies,
  startSample,
  type SampleUnderTest,
} from '../support/sample-app.js';
import { signedSessionCookie } from '../support/signed-cookie.js';
import { SAMPLE_STORES, sampleMatrix, storeDeployment } from '../support/store-inspect.js';

const STORES = sampleMatrix(SAMPLE_STORES);

// SECURITY.md group B: cookies. The sample runs behind a trusted TLS proxy here (TRUST_PROXY +
// X-Forwarded-Proto), as in production, so the cookie is the Secure, __Host- one.
describe.each(STORES)('B. cookies (sample on %s, %s)', (store, platform) => {
  let sample: SampleUnderTest;
  const https = { 'X-Forwarded-Proto': 'https' };

  beforeAll(async () => {
    sample = await startSample({
      SAMPLE_PLATFORM: platform,
      ...storeDeployment(store).env,
      TRUST_PROXY: 'loopback',
    });
  });
  afterAll(() => sample?.close());

  const loginOverHttps = async () => {
    const res = await sample.http
      .post('/auth/login')
      .set(https)
      .send({ username: 'alice', password: 'alice-password' })
      .expect(200);
    return { res, cookie: sessionCookie(res) };
  };

  it('B5: Secure; HttpOnly; SameSite=Lax; Path=/; no Domain; never SameSite=None', async () => {
    const { res } = await loginOverHttps();
    const [header] = setCookies(res);
    const attributes = header!
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase());
    expect(attributes.sort()).toEqual(['httponly', 'path=/', 'samesite=lax', 'secure']);
  });

  it('B6: the cookie carries only the signed ID, far under 4096 bytes', async () => {
    const { res, cookie } = await loginOverHttps();
    expect(decodeURIComponent(cookie)).toMatch(/^__Host-sid=s:[\w-]{32}\.[\w+/]{43}$/);
    expect(setCookies(res)[0]!.length).toBeLessThan(4096);
  });

  it('B7: responses that set, clear or depend on the session say Cache-Control: no-store', async () => {
    const { res: loginRes, cookie } = await loginOverHttps();
    const anonymousCart = await sample.http
      .post('/cart')
      .set(https)
      .send({ item: 'x' })
      .expect(200);
    const me = await sample.http.get('/auth/me').set(https).set('Cookie', cookie).expect(200);
    const account = await sample.http.get('/account').set(https).set('Cookie', cookie).expect(200);
    const logout = await sample.http
      .post('/auth/logout')
      .set(https)
      .set('Cookie', cookie)
      .expect(204);
    const responses = { loginRes, anonymousCart, me, account, logout };
    for (const [name, res] of Object.entries(responses)) {
      expect(res.headers['cache-control'], name).toBe('no-store');
    }
  });

  it('B8: logout clears the cookie under the same name, path and flags', async () => {
    const { cookie } = await loginOverHttps();
    const logout = await sample.http
      .post('/auth/logout')
      .set(https)
      .set('Cookie', cookie)
      .expect(204);
    const [cleared] = setCookies(logout);
    expect(cleared).toMatch(
      /^__Host-sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it('B9: state-changing requests from another site are refused (Origin / Fetch Metadata)', async () => {
    const cookie = await login(sample, 'bob');
    const crossSite = [
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
    ];
    for (const headers of crossSite) {
      await sample.http
        .post('/auth/login')
        .set(headers)
        .send({ username: 'bob', password: 'bob-password' })
        .expect(403);
      await sample.http
        .post('/cart')
        .set(headers)
        .set('Cookie', cookie)
        .send({ item: 'planted' })
        .expect(403);
      await sample.http.delete('/auth/sessions').set(headers).set('Cookie', cookie).expect(403);
      await sample.http.post('/auth/logout').set(headers).set('Cookie', cookie).expect(403);
    }
    // Still logged in, cart untouched; the same requests from the app's own origin work.
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
    expect((await sample.http.get('/cart').set('Cookie', cookie)).body.items).toEqual([]);
    await sample.http
      .post('/cart')
      .set({ 'Sec-Fetch-Site': 'same-origin' })
      .set('Cookie', cookie)
      .send({ item: 'mine' })
      .expect(200);
    // A cross-site GET (a link) is fine: reading needs no protection here.
    await sample.http.get('/cart').set({ 'Sec-Fetch-Site': 'cross-site' }).expect(200);
  });

  // Cookie tossing: where the name is not __Host- (here the plain `sid` of `secure: 'auto'` over
  // http; also with `cookie.domain` or a `cookie.path`), a sibling subdomain or a plain-http page
  // can plant a cookie of the same name that the browser sends before the real one.
  it('J40: a planted cookie of the session name sent first neither refuses nor clears the real one', async () => {
    const cookie = await login(sample, 'bob');
    expect(cookie).toMatch(/^sid=/);
    const planted = {
      unsigned: 'sid=planted-by-a-sibling',
      forged: signedSessionCookie('sid', randomBytes(24).toString('base64url'), 'not-the-secret'),
    };
    for (const [kind, bad] of Object.entries(planted)) {
      const res = await sample.http.get('/auth/me').set('Cookie', `${bad}; ${cookie}`);
      expect(res.status, kind).toBe(200);
      expect(res.body.user.username, kind).toBe('bob');
      expect(setCookies(res), kind).toEqual([]);
    }
    // When none of them verifies, the cookie is refused and cleared as before.
    const none = await sample.http
      .get('/auth/me')
      .set('Cookie', `${planted.unsigned}; ${planted.forged}`)
      .expect(401);
    expect(setCookies(none)[0]).toMatch(/^sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
  });

  it("J40: a planted cookie that verifies but names no live session (the attacker's own, logged out) neither refuses nor clears the real one", async () => {
    const attackers = await login(sample, 'alice');
    await sample.http.post('/auth/logout').set('Cookie', attackers).expect(204);
    const victims = await login(sample, 'bob');
    const res = await sample.http.get('/auth/me').set('Cookie', `${attackers}; ${victims}`);
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe('bob');
    expect(setCookies(res)).toEqual([]);
    // Alone, the logged-out cookie is refused and cleared as before.
    await sample.http.get('/auth/me').set('Cookie', attackers).expect(401);
  });
});
