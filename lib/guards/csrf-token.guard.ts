import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { isConnection, requireRequest } from '../session-access.js';
import { SessionService } from '../session.service.js';
import { CsrfTokenException } from '../session.errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The form field a token comes in. */
export const CSRF_FIELD = '_csrf';
/** The header a token comes in. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The synchronizer-token defence against cross-site request forgery, for forms: a state-changing
 * request (not GET, HEAD or OPTIONS) must carry a token of its own session
 * (`SessionService.csrfToken()`) in the `_csrf` form field or the `x-csrf-token` header, or it
 * gets 403 `CsrfTokenException` (`CSRF_TOKEN_INVALID`). Checking costs no store command. Put it
 * on the controllers whose routes browsers post forms to, beside SameOriginGuard (which checks
 * `Origin`); a JSON API called by scripts may rely on SameOriginGuard alone (docs/guide.md#csrf).
 * On HTTP (and GraphQL over HTTP); WebSocket messages and other contexts are refused, never let
 * through: a connection's defence is its handshake's origin check.
 */
@Injectable()
export class CsrfTokenGuard implements CanActivate {
  constructor(protected readonly sessions: SessionService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = requireRequest(context);
    if (isConnection(context, req)) throw new CsrfTokenException();
    if (SAFE_METHODS.has(req.method ?? '')) return true;
    if (this.sessions.verifyCsrfToken(req, tokenOf(req))) return true;
    throw new CsrfTokenException();
  }
}

function tokenOf(req: { headers: Record<string, unknown>; body?: unknown }): unknown {
  const header = req.headers[CSRF_HEADER];
  if (header !== undefined) return header;
  const { body } = req;
  return typeof body === 'object' && body !== null
    ? (body as Record<string, unknown>)[CSRF_FIELD]
    : undefined;
}
