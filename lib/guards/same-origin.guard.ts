import {
  ForbiddenException,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { CrossSiteRequestException } from '../session.errors.js';
import { arrivedSecure } from '../engine/handshake-requests.js';
import { isAppOrigin } from './app-origin.js';
import { isSameOriginHandshake } from './handshake-origin.js';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import { RESOLVED_SESSION_OPTIONS } from '../session.constants.js';
import type { IncomingMessage } from 'node:http';
import { isConnection, requestOf } from '../session-access.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests (anything but GET, HEAD, OPTIONS) that a browser sends from
 * another site: 403 when `Origin` is present and is neither this app's own origin nor one of
 * `allowedOrigins`, or, without `Origin`, when `Sec-Fetch-Site` is neither `same-origin` nor
 * `none` (typed in by the user). Requests without either header (curl, server-to-server) are let through:
 * cross-site request forgery needs a browser, and browsers send them. SameSite cookies are the
 * first line; this is the second (OWASP: SameSite is defence in depth, not a CSRF fix).
 *
 * Use it per route with `@UseGuards(SameOriginGuard)` or for the whole app as an `APP_GUARD`.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) protected readonly options: ResolvedSessionOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = requestOf(context);
    // A handler without an HTTP request to check cannot be vouched for: refused, not let through.
    if (!req)
      throw new ForbiddenException(`No request to check in a '${context.getType()}' handler`);
    // A WebSocket opened from another site (cross-site WebSocket hijacking) carries the victim's
    // cookie like a form post: its handshake's Origin is checked whatever its method.
    if (isConnection(context, req)) return this.checkHandshake(req, context.getType() === 'ws');
    if (SAFE_METHODS.has(req.method ?? 'GET')) return true;
    // Origin first: it names the site exactly, so an origin in `allowedOrigins` (which a browser
    // marks `Sec-Fetch-Site: same-site` or `cross-site`) is let through.
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (this.isAllowedOrigin(origin, req)) return true;
      throw new CrossSiteRequestException('Cross-origin request refused');
    }
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new CrossSiteRequestException('Cross-site request refused');
    }
    return true;
  }

  /**
   * The handshake of a connection: its Origin must be this app's own or an allowed origin, by the
   * rule HTTP requests follow (scheme and host).
   * Refused with 403, or, for a WebSocket message (`ws`, where Nest shows a client only
   * WsException messages), `false`: Nest's `Forbidden resource`.
   */
  protected checkHandshake(req: IncomingMessage, ws = false): boolean {
    if (isSameOriginHandshake(req, this.options.allowedOrigins)) return true;
    if (ws) return false;
    throw new CrossSiteRequestException('Cross-origin WebSocket refused');
  }

  /**
   * Whether an Origin is this app's own (the scheme the request arrived over, as `trust proxy` /
   * `trustProxy` has the platform see it, and its host) or one of `allowedOrigins`: the rule handshakes follow too.
   */
  protected isAllowedOrigin(origin: string, req: IncomingMessage): boolean {
    return isAppOrigin(origin, req, arrivedSecure(req), this.options.allowedOrigins);
  }
}
