import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SessionService } from 'nestjs-secure-session';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SampleUnderTest } from '../support/sample-app.js';
import { startProductionSampleBehindProxy, type TlsProxy } from '../support/tls-proxy.js';
import { browserAvailable, launchChromium } from '../support/chromium.js';

const available = browserAvailable();

const VIEWPORT = { width: 1024, height: 640 };
// How long a form post, its redirect and the next page may take on a busy machine.
const SETTLE = { timeout: 5000 };
const FIREFOX_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
// Screenshots go to the system's temporary directory, overwritten on each run, never committed.
const SCREENSHOTS = join(tmpdir(), 'nestjs-secure-session-screenshots');

/** An 8-bit RGB(A), non-interlaced PNG (what Chromium writes), decoded to its pixels. */
function decodePng(png: Buffer): {
  width: number;
  height: number;
  rgb(x: number, y: number): number[];
} {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  const header = { width: 0, height: 0, depth: 0, color: 0, interlace: 0 };
  const data: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      Object.assign(header, {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8],
        color: body[9],
        interlace: body[12],
      });
    }
    if (type === 'IDAT') data.push(body);
    at += 12 + length;
  }
  expect({ depth: header.depth, interlace: header.interlace }).toEqual({ depth: 8, interlace: 0 });
  expect([2, 6]).toContain(header.color);
  const { width, height } = header;
  const bpp = header.color === 6 ? 4 : 3;
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(data));
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const left = x >= bpp ? pixels[y * stride + x - bpp]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const diagonal = x >= bpp && y > 0 ? pixels[(y - 1) * stride + x - bpp]! : 0;
      const predictor = [0, left, up, Math.floor((left + up) / 2), paeth(left, up, diagonal)][
        filter
      ]!;
      pixels[y * stride + x] = (raw[y * (stride + 1) + 1 + x]! + predictor) & 0xff;
    }
  }
  const rgb = (x: number, y: number) => [
    ...pixels.subarray(y * stride + x * bpp, y * stride + x * bpp + 3),
  ];
  return { width, height, rgb };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** How many pixels in the box are text-dark (each channel under 100). */
function darkPixels(
  image: ReturnType<typeof decodePng>,
  box: { x: number; y: number; width: number; height: number },
): number {
  let dark = 0;
  for (let y = Math.floor(box.y); y < Math.min(image.height, box.y + box.height); y++) {
    for (let x = Math.floor(box.x); x < Math.min(image.width, box.x + box.width); x++) {
      if (image.rgb(x, y).every((channel) => channel < 100)) dark++;
    }
  }
  return dark;
}

// The account page in a real Chromium, the sample in production behind a TLS proxy: the user's
// sessions listed and revoked, with JavaScript and without.
describe.skipIf(!available)(
  'the account page in a real browser (headless Chromium over HTTPS)',
  () => {
    let sample: SampleUnderTest;
    let proxy: TlsProxy;
    let browser: Browser;
    let attacker: Server;
    let attackerUrl: string;
    /** What the browser reported against the Content-Security-Policy, or failed to load. */
    const problems: string[] = [];

    beforeAll(async () => {
      ({ sample, proxy } = await startProductionSampleBehindProxy(inject('redisUrl')));
      // Another site (http://127.0.0.1, not https://localhost): a page with a form aimed at the app.
      attacker = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? '/sign-out';
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(
          `<form method="post" action="${proxy.url}${path}"><input name="username" value="bob">` +
            `<input name="password" value="bob-password"><button id="go">Win a prize</button></form>`,
        );
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
      browser = await launchChromium();
      mkdirSync(SCREENSHOTS, { recursive: true });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => (attacker ? attacker.close(resolve) : resolve(undefined)));
      await proxy?.close();
      await sample?.close();
    });

    describe.each([
      ['with JavaScript', true],
      ['without JavaScript', false],
    ])('%s', (_name, javaScriptEnabled) => {
      const contexts: BrowserContext[] = [];
      // Each test starts with no device signed in.
      afterEach(async () => {
        for (const context of contexts.splice(0)) await context.close();
        const sessions = sample.app.get(SessionService);
        for (const userId of ['1', '2']) await sessions.revokeAll(userId);
      });

      const device = async (userAgent?: string): Promise<Page> => {
        const context = await browser.newContext({
          ignoreHTTPSErrors: true,
          javaScriptEnabled,
          viewport: VIEWPORT,
          ...(userAgent ? { userAgent } : {}),
        });
        contexts.push(context);
        context.on('console', (message) => {
          if (/Content.Security.Policy|Refused to/i.test(message.text()))
            problems.push(message.text());
        });
        context.on('requestfailed', (req) => {
          problems.push(`${req.url()}: ${req.failure()?.errorText}`);
        });
        return context.newPage();
      };

      const signIn = async (page: Page, username = 'alice', password = `${username}-password`) => {
        await page.goto(`${proxy.url}/`);
        await page.fill('input[name=username]', username);
        await page.fill('input[name=password]', password);
        await page.click('#login button');
      };

      const rows = (page: Page) => page.locator('#sessions tbody tr');

      it('lists both of a user\'s devices, "this device" on one, and revokes the other with its button', async () => {
        const laptop = await device();
        const phone = await device(FIREFOX_ON_WINDOWS);
        await signIn(laptop);
        await laptop.waitForURL(`${proxy.url}/account`);
        await signIn(phone);
        await phone.waitForURL(`${proxy.url}/account`);
        // With JavaScript the live socket opens under the CSP (connect-src 'self' covers wss: to
        // this host); without, the page says it has none.
        const live = (state: string) => (javaScriptEnabled ? state : 'off (needs JavaScript)');
        await expect.poll(() => phone.textContent('#live'), SETTLE).toBe(live('connected'));

        await laptop.reload();
        const list = laptop.locator('#sessions');
        expect(await list.isVisible()).toBe(true);
        expect(await rows(laptop).count()).toBe(2);
        const current = rows(laptop).filter({ hasText: 'this device' });
        const other = rows(laptop).filter({ hasNotText: 'this device' });
        expect(await current.count()).toBe(1);
        expect(await current.textContent()).toContain('Headless Chrome on Linux');
        expect(await current.locator('button').count()).toBe(0);
        expect(await other.textContent()).toContain('Firefox on Windows');
        expect(await other.textContent()).toContain('127.0.0.1');
        expect(await other.locator('time').first().getAttribute('datetime')).toMatch(
          /^\d{4}-\d\d-\d\dT/,
        );

        // The screenshot shows the list: a PNG of the viewport, with text drawn in each row's box.
        const png = await laptop.screenshot();
        writeFileSync(join(SCREENSHOTS, `account-${javaScriptEnabled ? 'js' : 'no-js'}.png`), png);
        const image = decodePng(png);
        expect({ width: image.width, height: image.height }).toEqual(VIEWPORT);
        const listBox = (await list.boundingBox())!;
        expect(listBox.width).toBeGreaterThan(300);
        expect(listBox.y + listBox.height).toBeLessThanOrEqual(VIEWPORT.height);
        for (const row of [current, other]) {
          const box = (await row.boundingBox())!;
          expect(box.y).toBeGreaterThanOrEqual(listBox.y);
          expect(darkPixels(image, box)).toBeGreaterThan(100);
        }
        // The page's background, below all content, is blank: the pixels above are the page's own.
        expect(
          darkPixels(image, { x: 0, y: VIEWPORT.height - 20, width: VIEWPORT.width, height: 20 }),
        ).toBe(0);

        await other.locator('button', { hasText: 'Revoke' }).click();
        await expect.poll(() => rows(laptop).count(), SETTLE).toBe(1);
        expect(await rows(laptop).textContent()).toContain('this device');
        expect(laptop.url()).toBe(`${proxy.url}/account`);
        // The revoked device's open socket is closed at once.
        await expect.poll(() => phone.textContent('#live'), { timeout: 2000 }).toBe(live('closed'));
        // The revoked device's next request is signed out: the page, and the API.
        const next = await phone.reload();
        expect(next?.status()).toBe(401);
        expect(await phone.textContent('h1')).toBe('Signed out');
        expect((await phone.context().request.get(`${proxy.url}/auth/me`)).status()).toBe(401);
        // The laptop is still signed in.
        expect((await laptop.context().request.get(`${proxy.url}/auth/me`)).status()).toBe(200);
      });

      it('signs out everywhere else with one button, and signs out', async () => {
        const pages = [await device(), await device(FIREFOX_ON_WINDOWS), await device()];
        for (const page of pages) {
          await signIn(page, 'bob');
          await page.waitForURL(`${proxy.url}/account`);
        }
        const [mine, ...others] = pages as [Page, ...Page[]];
        await mine.reload();
        expect(await rows(mine).count()).toBe(3);
        await mine.click('#revoke-others');
        await expect.poll(() => rows(mine).count(), SETTLE).toBe(1);
        expect(await mine.locator('#revoke-others').count()).toBe(0);
        for (const page of others) {
          expect((await page.reload())?.status()).toBe(401);
          expect(await page.textContent('h1')).toBe('Signed out');
        }
        const [signedIn] = await mine.context().cookies();
        await mine.click('#logout');
        await mine.waitForURL(`${proxy.url}/`);
        // The sign-in page it lands on gives it a new, anonymous cookie (its forms' CSRF tokens
        // are bound to it); the signed-in one is gone.
        const held = await mine.context().cookies();
        expect(held.map(({ value }) => value)).not.toContain(signedIn!.value);
        expect((await mine.goto(`${proxy.url}/account`))?.status()).toBe(401);
      });

      it('shows a failed sign-in without echoing it, and no credential in any URL it visited', async () => {
        const page = await device();
        const visited: string[] = [];
        page.on('framenavigated', (frame) => visited.push(frame.url()));
        page.on('request', (req) => visited.push(req.url()));
        await signIn(page, 'alice', 'wrong<b>password');
        await page.waitForURL(`${proxy.url}/?error=sign-in-failed`);
        expect(await page.textContent('#error')).toBe(
          'Sign-in failed: wrong user name or password.',
        );
        expect(await page.content()).not.toContain('wrong<b>password');
        expect(await page.textContent('#demo-users')).toBe(
          'Demo users: alice / alice-password, bob / bob-password',
        );
        await page.fill('#cart input[name=item]', '<img src=x>');
        await page.click('#cart button');
        await expect.poll(() => page.textContent('#items'), SETTLE).toBe('<img src=x>');
        await signIn(page);
        await page.waitForURL(`${proxy.url}/account`);
        expect(await page.textContent('#items')).toBe('<img src=x>');
        expect(visited.length).toBeGreaterThan(5);
        for (const url of visited) {
          expect(url).not.toMatch(/password|username|alice|sid=/i);
        }
      });

      it('refuses a form another site makes the browser post (403), changing nothing', async () => {
        const page = await device();
        await signIn(page);
        await page.waitForURL(`${proxy.url}/account`);
        const before = await rows(page).count();
        for (const target of ['/account/sessions/revoke-others', '/sign-out', '/sign-in']) {
          const evil = await page.context().newPage();
          await evil.goto(`${attackerUrl}?target=${target}`);
          const [response] = await Promise.all([
            evil.waitForResponse(`${proxy.url}${target}`),
            evil.click('#go'),
          ]);
          expect(response.status(), target).toBe(403);
          await response.finished();
          await evil.close();
        }
        await page.reload();
        expect(await page.textContent('#user')).toBe('alice');
        expect(await rows(page).count()).toBe(before);
      });

      it('loaded every page, script, stylesheet and socket with no CSP violation and no failed request', () => {
        expect(problems).toEqual([]);
      });
    });
  },
);
