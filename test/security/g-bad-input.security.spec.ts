import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { malformedCookieHeaders, malformedSessionHandles } from '../support/malformed-input.js';
import { rawRequest } from '../support/raw-http.js';
import { login, startSample, type SampleUnderTest } from '../support/sample-app.js';
import {
  SAMPLE_STORES,
  sampleMatrix,
  storeDeployment,
  type StoreInspector,
} from '../support/store-inspect.js';

const ROUTES: [method: string, path: string, body: string, protectedRoute: boolean][] = [
  ['GET', '/auth/me', '', true],
  ['GET', '/auth/sessions', '', true],
  ['DELETE', '/auth/sessions', '', true],
  ['GET', '/account', '', false],
  ['GET', '/cart', '', false],
  ['POST', '/cart', '{"item":"x"}', false],
  ['POST', '/auth/logout', '', false],
];

async function inBatches<T>(
  items: T[],
  size: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

const STORES = sampleMatrix(SAMPLE_STORES);

// SECURITY.md group G: bad input.
describe.each(STORES)('G. bad input, generated (sample on %s, %s)', (store, platform) => {
  const secret = randomBytes(32).toString('hex');
  const deployment = storeDeployment(store);
  let sample: SampleUnderTest;
  let stored: StoreInspector;
  let port: number;

  beforeAll(async () => {
    sample = await startSample({
      SAMPLE_PLATFORM: platform,
      ...deployment.env,
      SESSION_SECRET: secret,
    });
    await sample.app.listen(0, '127.0.0.1');
    port = (sample.app.getHttpServer().address() as AddressInfo).port;
    stored = await deployment.inspect(sample);
  });
  afterAll(async () => {
    await stored?.close();
    await sample?.close();
  });

  it('G24/G25: thousands of malformed Cookie headers on every route: never a 500, never authenticated, only well-formed store keys', async () => {
    const cookies = malformedCookieHeaders(secret);
    expect(cookies.length).toBeGreaterThanOrEqual(2500);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    await inBatches(cookies, 25, async (cookie) => {
      for (const [method, path, body, isProtected] of ROUTES) {
        const status = await rawRequest(port, method, path, cookie, body);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        // 0: the HTTP parser closed the connection on a header it will not read, before any code ran.
        if (status >= 500 || (isProtected && status >= 200 && status < 300)) {
          failures.push(
            `${status} ${method} ${path} Cookie: ${JSON.stringify(cookie.slice(0, 80))}`,
          );
        }
      }
    });
    expect(failures).toEqual([]);
    // Nearly every request reached the app and got an answer (0: the HTTP parser refused it).
    const total = cookies.length * ROUTES.length;
    expect(statuses.get(0) ?? 0).toBeLessThan(total * 0.05);
    expect(statuses.get(401)).toBeGreaterThan(cookies.length);
    // The process is alive and still serves real users.
    await sample.http.get('/health').expect(200);
    const cookie = await login(sample);
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);

    // Records, tombstones and index entries only under handles and user keys the module made.
    const entries = await stored.entries();
    expect(entries.length).toBeGreaterThan(0);
    const expected = /^(s:\{[\w-]{22}\}(:revoked)?|u:\{[\w-]{22}\}( s:\{[\w-]{22}\})?)$/;
    expect(entries.filter((entry) => !expected.test(entry))).toEqual([]);
  }, 180_000);

  it('G25: malformed session handles in /auth/sessions/:id: 404, never a 500, nothing revoked', async () => {
    const cookie = await login(sample, 'bob');
    const other = await login(sample, 'bob');
    const failures: string[] = [];
    await inBatches(malformedSessionHandles(), 20, async (handle) => {
      const status = await rawRequest(port, 'DELETE', `/auth/sessions/${handle}`, cookie);
      if (status !== 404) failures.push(`${status} ${handle}`);
    });
    expect(failures).toEqual([]);
    await sample.http.get('/auth/me').set('Cookie', other).expect(200);
  });

  it('G24: only the canonical encoding of a valid signature verifies (spare bits, base64url alphabet)', async () => {
    const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    // A signature with a '+' or '/' in it (three logins in four have one), for the alphabet swap.
    let cookie = await login(sample);
    for (let i = 0; i < 30 && !/[+/]/.test(signatureOf(cookie)); i++) cookie = await login(sample);
    const signature = signatureOf(cookie);
    expect(signature).toMatch(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/);
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
    // The 43rd character carries 4 bits of the 32-byte MAC: its 2 low bits are spare.
    const last = BASE64.indexOf(signature.at(-1)!);
    const variants = [1, 2, 3].map((bits) => signature.slice(0, -1) + BASE64[last ^ bits]!);
    variants.push(signature.replaceAll('+', '-').replaceAll('/', '_'));
    for (const variant of variants) {
      const forged = cookie.replace(encodeURIComponent(signature), encodeURIComponent(variant));
      expect(forged).not.toBe(cookie);
      await sample.http.get('/auth/me').set('Cookie', forged).expect(401);
    }
    await sample.http.get('/auth/me').set('Cookie', cookie).expect(200);
  });
});

function signatureOf(cookie: string): string {
  return decodeURIComponent(cookie.split('=')[1]!).split('.').at(-1)!;
}
