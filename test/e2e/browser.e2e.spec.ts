import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSample, type SampleUnderTest } from '../support/sample-app.js';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy.js';
import { browserAvailable, launchChromium } from '../support/chromium.js';

const available = browserAvailable();
/** How recent a sign-in changing the email needs, here. */
const RECENT_MS = 2000;

// A real Chromium against the sample behind a TLS-terminating proxy, as in production.
describe.skipIf(!available)('the sample in a real browser (headless Chromium over HTTPS)', () => {
  let sample: SampleUnderTest;
  let proxy: TlsProxy;
  let browser: Browser;

  beforeAll(async () => {
    sample = await startSample({
      REDIS_URL: inject('redisUrl'),
      TRUST_PROXY: 'loopback',
      SESSION_RECENT_LOGIN_MS: String(RECENT_MS),
    });
    await sample.app.listen(0, '127.0.0.1');
    const { port } = sample.app.getHttpServer().address() as AddressInfo;
    proxy = await startTlsProxy({ host: '127.0.0.1', port });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await sample?.close();
  });

  it('signs in keeping the cart, stores a hardened cookie scripts cannot read, signs out for good', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    await page.fill('#cart input[name=item]', 'blue-teapot');
    await page.click('#cart button');
    await expect.poll(() => page.textContent('#items')).toBe('blue-teapot');

    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'alice-password');
    await Promise.all([page.waitForURL('**/account'), page.click('#login button')]);
    expect(await page.textContent('#user')).toBe('alice');
    expect(await page.textContent('#items')).toBe('blue-teapot');

    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: '__Host-sid',
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      expires: -1,
    });
    expect(cookies[0]!.domain).toBe('localhost');
    expect(await page.evaluate('document.cookie')).toBe('');

    await Promise.all([page.waitForURL(`${proxy.url}/`), page.click('#logout')]);
    // The sign-in page it lands on gives it a new, anonymous cookie (its forms' CSRF tokens are
    // bound to it); the signed-in one is gone, and the new one signs in no one.
    const held = await context.cookies();
    expect(held.map(({ value }) => value)).not.toContain(cookies[0]!.value);
    expect((await context.request.get(`${proxy.url}/auth/me`)).status()).toBe(401);
    await page.goBack();
    await expect.poll(() => page.url()).toMatch(/\/account$/);
    expect(await page.textContent('h1')).toBe('Signed out');
    expect(await page.content()).not.toContain('alice');
    await context.close();
  });

  it('closes the WebSocket a signed-in page holds when the user signs out in another tab', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'alice-password');
    await Promise.all([page.waitForURL('**/account'), page.click('#login button')]);
    await expect.poll(() => page.textContent('#live')).toBe('connected');

    const other = await context.newPage();
    await other.goto(`${proxy.url}/account`);
    await expect.poll(() => other.textContent('#live')).toBe('connected');
    const signedOutAt = Date.now();
    await Promise.all([other.waitForURL(`${proxy.url}/`), other.click('#logout')]);
    await expect.poll(() => page.textContent('#live'), { timeout: 2000 }).toBe('closed');
    expect(Date.now() - signedOutAt).toBeLessThan(2000);
    await context.close();
  });

  it('asks for the password again before changing the email once the sign-in is not recent, then changes it', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    await page.fill('input[name=username]', 'bob');
    await page.fill('input[name=password]', 'bob-password');
    await Promise.all([page.waitForURL('**/account'), page.click('#login button')]);
    expect(await page.textContent('#email')).toBe('bob@example.com');
    const [signedIn] = await context.cookies();
    await new Promise((resolve) => setTimeout(resolve, RECENT_MS + 100));

    await page.fill('#change-email input[name=email]', 'bob@example.org');
    await Promise.all([
      page.waitForURL('**/account/confirm-password'),
      page.click('#change-email button'),
    ]);
    expect(await page.textContent('h1')).toBe('Confirm your password');
    await page.fill('input[name=password]', 'bob-password');
    await Promise.all([page.waitForURL('**/account'), page.click('#confirm-password button')]);
    // Confirmed: a new session ID, and the change now goes through.
    const [renewed] = await context.cookies();
    expect(renewed!.value).not.toBe(signedIn!.value);
    await page.fill('#change-email input[name=email]', 'bob@example.org');
    await Promise.all([page.waitForURL('**/account'), page.click('#change-email button')]);
    expect(await page.textContent('#email')).toBe('bob@example.org');
    await context.close();
  });

  it('does not let another site make the browser change state (cross-site POST refused)', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${proxy.url}/`);
    await page.fill('input[name=username]', 'bob');
    await page.fill('input[name=password]', 'bob-password');
    await Promise.all([page.waitForURL('**/account'), page.click('#login button')]);

    // An attacker's page (another origin) makes the browser submit a form to the app. SameSite=Lax
    // keeps the cookie off a cross-site POST, and the Origin / Fetch-Metadata check refuses it.
    const attacker = await context.newPage();
    const form = `<form method="POST" action="${proxy.url}/cart"><input name="item" value="planted"></form>`;
    await attacker.goto(`data:text/html,${encodeURIComponent(form)}`);
    const [response] = await Promise.all([
      attacker.waitForResponse(`${proxy.url}/cart`),
      attacker.evaluate('document.forms[0].submit()'),
    ]);
    expect(response.status()).toBe(403);
    await page.reload();
    expect(await page.textContent('#user')).toBe('bob');
    expect(await page.textContent('#items')).not.toContain('planted');
    await context.close();
  });
});
