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
  private readonly included: Matcher[];
  private readonly excluded: Matcher[];

  constructor(
    forRoutes: readonly SessionRoute[],
    exclude: readonly SessionRoute[],
    private readonly cookiePath: string,
  ) {
    this.included = forRoutes.map(matcherOf);
    this.excluded = exclude.map(matcherOf);
    const allRoutes = forRoutes.some(
      (route) => typeof route === 'string' && /^\/?\{?\*/.test(route),
    );
    this.everywhere = allRoutes && exclude.length === 0 && cookiePath === '/';
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

function matcherOf(route: SessionRoute): Matcher {
  const { path, method } =
    typeof route === 'string' ? { path: route, method: RequestMethod.ALL } : route;
  const pattern = path.startsWith('/') ? path : `/${path}`;
  const literal = pattern.toLowerCase();
  // Case-insensitive, as Express routes (and path-to-regexp matches) by default.
  const matches = LITERAL.test(pattern)
    ? (requestPath: string) => {
        const path = requestPath.toLowerCase();
        return path === literal || path === `${literal}/`;
      }
    : match(pattern, { decode: false });
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
