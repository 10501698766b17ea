import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { SampleConfig } from '../config/sample-config.js';

/** A Node/Express middleware, as helmet makes them. */
export type HeadersMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

// The sample's pages load only their own scripts, styles and connections: no inline script or
// style (the pages' scripts are files under /assets), no other origin, no framing. 'self' in
// connect-src also covers ws: and wss: to the page's own host (CSP Level 3), the live socket.
const PAGE_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'"],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
};

// GraphiQL, which the GraphQL driver serves outside production (Apollo at GET /graphql,
// Mercurius at GET /graphiql), is inline script or style and React from unpkg.com: a developer's
// tool, given what it needs on its own paths and never in production.
const GRAPHIQL_DIRECTIVES = {
  ...PAGE_DIRECTIVES,
  'font-src': ["'self'", 'data:', 'https://unpkg.com'],
  'img-src': ["'self'", 'data:'],
  'script-src': ["'self'", "'unsafe-inline'", 'https://unpkg.com'],
  'style-src': ["'self'", "'unsafe-inline'", 'https://unpkg.com'],
};

// No page of the sample uses these browser features; a script injected into one cannot either.
const PERMISSIONS_POLICY = 'camera=(), geolocation=(), microphone=(), payment=(), usb=()';

function headers(directives: Record<string, string[]>, production: boolean): HeadersMiddleware {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      // Production is served over HTTPS only (behind a TLS proxy); a developer's plain
      // http://127.0.0.1 would have its scripts "upgraded" to an https port that does not exist.
      directives: production ? { ...directives, 'upgrade-insecure-requests': [] } : directives,
    },
    crossOriginEmbedderPolicy: directives === PAGE_DIRECTIVES ? { policy: 'require-corp' } : false,
    // Browsers send `Origin: null` on a same-origin form post under `no-referrer` (helmet's
    // default), which SameOriginGuard must refuse; `same-origin` keeps the Origin of this site's
    // own form posts and sends no Referer to any other site.
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    xFrameOptions: { action: 'deny' },
  });
}

/**
 * The security headers of every response the sample sends (helmet, plus a Permissions-Policy):
 * Content-Security-Policy, Strict-Transport-Security, X-Frame-Options: DENY, nosniff, a
 * Referrer-Policy and the cross-origin isolation headers. Browsers honour HSTS only over HTTPS, so
 * it is sent in development too. `graphiqlPaths` are where the platform's GraphQL driver serves
 * GraphiQL (its page, and its service worker, which a policy also governs).
 */
export function securityHeaders(
  config: Pick<SampleConfig, 'production'>,
  graphiqlPaths: readonly string[],
): HeadersMiddleware {
  const pages = headers(PAGE_DIRECTIVES, config.production);
  const graphiql = config.production ? pages : headers(GRAPHIQL_DIRECTIVES, false);
  return (req, res, next) => {
    res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
    const path = req.url?.split('?', 1)[0] ?? '';
    (req.method === 'GET' && graphiqlPaths.includes(path) ? graphiql : pages)(req, res, next);
  };
}
