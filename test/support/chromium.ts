import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { hasOpenssl } from './tls-proxy.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser tests can run: Chromium (Debian's, or CHROMIUM_PATH) and openssl for the
 * TLS proxy. With REQUIRE_BROWSER set (CI), their absence is an error, not a skip.
 */
export function browserAvailable(): boolean {
  const available = existsSync(CHROMIUM) && hasOpenssl();
  if (!available && process.env.REQUIRE_BROWSER) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM} (apt-get install -y chromium) and openssl`,
    );
  }
  return available;
}

/** Headless Chromium, quiet (no background traffic), accepting the proxy's self-signed certificate. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--ignore-certificate-errors',
    ],
  });
}
