import type { ExecutionContext } from '@nestjs/common';
import { ForbiddenException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { SameOriginGuard } from '../../lib/index.js';
import type { ResolvedSessionOptions } from '../../lib/options/resolved-session-options.js';

const guard = new SameOriginGuard({
  allowedOrigins: ['https://admin.example.com'],
} as ResolvedSessionOptions);

function check(method: string, headers: Record<string, string>): boolean {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  // An Express request that arrived over HTTPS (`req.secure`, as `trust proxy` decides).
  const req = {
    method,
    protocol: 'https',
    secure: true,
    headers: { host: 'app.example.com', ...lower },
    get: (name: string) =>
      lower[name.toLowerCase()] ?? (name === 'host' ? 'app.example.com' : undefined),
  };
  const context = {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  return guard.canActivate(context);
}

describe('SameOriginGuard', () => {
  it('lets the app itself, an allowed origin and non-browser clients change state', () => {
    expect(
      check('POST', { Origin: 'https://app.example.com', 'Sec-Fetch-Site': 'same-origin' }),
    ).toBe(true);
    // A browser marks the allowed sibling `same-site`; its exact Origin is what counts.
    expect(
      check('POST', { Origin: 'https://admin.example.com', 'Sec-Fetch-Site': 'same-site' }),
    ).toBe(true);
    expect(check('DELETE', {})).toBe(true);
    expect(check('POST', { 'Sec-Fetch-Site': 'none' })).toBe(true);
  });

  it('refuses other origins and cross-site fetches, but not safe methods', () => {
    const crossSite: Record<string, string>[] = [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Origin: 'http://app.example.com' }, // the app's host over plain http is another origin
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
    ];
    for (const headers of crossSite) {
      expect(() => check('POST', headers), JSON.stringify(headers)).toThrow(ForbiddenException);
    }
    expect(check('GET', { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' })).toBe(
      true,
    );
  });

  it('judges a WebSocket handshake by the same rule: scheme and host, by its transport', () => {
    const handshake = (origin: string, encrypted: boolean) => {
      const request = { headers: { host: 'app.example.com', origin }, socket: { encrypted } };
      const context = {
        getType: () => 'ws',
        switchToWs: () => ({ getClient: () => ({ request }) }),
      } as unknown as ExecutionContext;
      return guard.canActivate(context);
    };
    expect(handshake('https://app.example.com', true)).toBe(true);
    expect(handshake('http://app.example.com', false)).toBe(true);
    expect(handshake('https://admin.example.com', false)).toBe(true);
    // The app's host under the other scheme is another origin, as for HTTP.
    expect(handshake('http://app.example.com', true)).toBe(false);
    expect(handshake('https://app.example.com', false)).toBe(false);
  });
});
