import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { match } from 'path-to-regexp';
import type { SessionRoute } from '../session-module-options.interface.js';

type Matcher = (method: string, path: string) => boolean;

/**
 * @internal Which requests get session handling: those on `forRoutes` and not on `exclude`
 * (path patterns as Nest writes them, matched against the request's whole path), and inside the
 * cookie's path (a browser sends the cookie nowhere else). Elsewhere a request has no session.
 */
export class RouteScope {
  private readonly everywhere: boolean;
  private included: Matcher[] = [];
  private excluded: Matcher[] = [];

  constructor(
    private readonly forRoutes: readonly SessionRoute[],
    private readonly exclude: readonly SessionRoute[],
    private readonly cookiePath: string,
  ) {
    this.matchCase(false);
    const allRoutes = forRoutes.some(
      (route) => typeof route === 'string' && /^\/?\{?\*/.test(route),
    );
    this.everywhere = allRoutes && exclude.length === 0 && cookiePath === '/';
  }

  /**
   * Matches paths as the platform routes them: case-insensitively (Express's default) or not
   * (Fastify's), so an excluded route cannot be reached under another spelling.
   */
  matchCase(caseSensitive: boolean): void {
    this.included = this.forRoutes.map((route) => matcherOf(route, caseSensitive));
    this.excluded = this.exclude.map((route) => matcherOf(route, caseSensitive));
  }

  covers(req: IncomingMessage): boolean {
    if (this.everywhere) return true;
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';
    return (
      withinCookiePath(path, this.cookiePath) &&
      this.included.some((matches) => matches(method, path)) &&
      !this.excluded.some((matches) => matches(method, path))
    );
  }
}

// A pattern without parameters or wildcards is its own path: compared as a string.
const LITERAL = /^[\w\-./~]*$/;

function matcherOf(route: SessionRoute, caseSensitive: boolean): Matcher {
  const { path, method } =
    typeof route === 'string' ? { path: route, method: RequestMethod.ALL } : route;
  const pattern = path.startsWith('/') ? path : `/${path}`;
  const spelling = (text: string) => (caseSensitive ? text : text.toLowerCase());
  const literal = spelling(pattern);
  const matches = LITERAL.test(pattern)
    ? (requestPath: string) => {
        const path = spelling(requestPath);
        return path === literal || path === `${literal}/`;
      }
    : match(pattern, { decode: false, sensitive: caseSensitive });
  const methodName = method === RequestMethod.ALL ? undefined : RequestMethod[method];
  return (requestMethod, requestPath) =>
    (methodName === undefined || methodName === requestMethod) && matches(requestPath) !== false;
}

// RFC 6265 §5.1.4 path-match.
function withinCookiePath(path: string, cookiePath: string): boolean {
  if (cookiePath === '/' || path === cookiePath) return true;
  return (
    path.startsWith(cookiePath) && (cookiePath.endsWith('/') || path[cookiePath.length] === '/')
  );
}
