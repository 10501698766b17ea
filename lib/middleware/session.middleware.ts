import { Inject, Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, RequestHandler, Response } from 'express';
import expressSession, { type Store } from 'express-session';
import onHeaders from 'on-headers';
import { SessionEvents } from '../events/session-events.js';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import { sessionHandle } from '../session-handle.js';
import {
  RESOLVED_SESSION_OPTIONS,
  SESSION_STORE,
  SESSION_STORE_FAILURE,
} from '../session.constants.js';
import { errorMessage, SessionRevokedError } from '../session.errors.js';
import type { SessionRequest } from '../session-request.js';
import type { RevocableSessionStore } from '../stores/revocable-session.store.js';
import { readSessionCookie } from './session-cookie.js';

/**
 * @internal Mounted by SessionModule on its routes: loads the session with express-session.
 * A store failure does not fail the request here; it is recorded on the request, so routes that
 * use the session answer 503 and routes that do not still work. Responses that set, clear or
 * may depend on the session get `Cache-Control: no-store`.
 */
@Injectable()
export class SessionMiddleware implements NestMiddleware {
  private readonly logger = new Logger('SessionModule');
  private readonly onHttps: RequestHandler;
  private readonly onPlainHttp?: RequestHandler;
  private warnedAboutPlainHttp = false;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    @Inject(SESSION_STORE) private readonly store: RevocableSessionStore,
    private readonly events: SessionEvents,
  ) {
    const handler = (name: string, secure: boolean): RequestHandler =>
      expressSession({
        name,
        secret: options.secrets,
        // express-session installs its per-instance generate() on the store object, so each
        // instance gets its own view of the shared store.
        store: Object.create(store) as Store,
        resave: false,
        saveUninitialized: false,
        // Not 'destroy': on a store read error req.session is unset, and express-session would
        // then destroy the user's session at the end of the request. Logout destroys explicitly.
        unset: 'keep',
        cookie: { ...options.cookie, secure },
      });
    this.onHttps = handler(options.cookieNames.secure, options.cookie.secure !== false);
    if (options.cookie.secure !== true) {
      this.onPlainHttp = handler(options.cookieNames.plain, false);
    }
  }

  use(req: SessionRequest, res: Response, next: NextFunction): void {
    const plain = !req.secure && this.onPlainHttp !== undefined;
    const name = plain ? this.options.cookieNames.plain : this.options.cookieNames.secure;
    const handler = req.secure ? this.onHttps : (this.onPlainHttp ?? this.warnPlainHttp(req));
    const hasCookie = req.headers.cookie?.includes(`${name}=`) === true;
    if (hasCookie) {
      res.setHeader('Cache-Control', 'no-store');
    } else {
      // Registered before express-session's own hook, so it runs after it and sees its Set-Cookie.
      onHeaders(res, () => {
        if (setsCookie(res, name)) res.setHeader('Cache-Control', 'no-store');
      });
    }
    let continued = false;
    handler(req, res, (err?: unknown) => {
      if (continued) {
        // express-session reports a failed end-of-request save through next() after the
        // response; by then the route has run, so it is only logged.
        if (err instanceof SessionRevokedError) return; // a write-back refused, as it should be
        this.logger.warn(`Session not saved: ${errorMessage(err)}`);
        return;
      }
      continued = true;
      if (err !== undefined) {
        // The session could not be loaded: routes that need it answer 503, others go on.
        req[SESSION_STORE_FAILURE] = err;
        this.logger.error(`Session store failed: ${errorMessage(err)}`);
      } else if (req.session?.meta) {
        // Stored sessions do not carry the cookie policy; a re-sent cookie must keep it.
        const { path, httpOnly, sameSite, domain } = this.options.cookie;
        Object.assign(req.session.cookie, {
          path,
          httpOnly,
          sameSite,
          domain,
          secure: !plain && this.options.cookie.secure !== false,
        });
      } else if (hasCookie && req.session) {
        // A cookie that did not bring a stored session (every stored one has meta) was refused.
        this.reportRefusedCookie(req, name);
      }
      next();
    });
  }

  // express-session silently starts a new session for a forged, replayed or unknown cookie; an
  // app watching for brute force needs to hear of it, with the client's address. Only this rare
  // path verifies the signature a second time.
  private reportRefusedCookie(req: SessionRequest, name: string): void {
    const cookie = readSessionCookie(req.headers.cookie, name, this.options.secrets);
    if (cookie.kind === 'absent') return;
    const { handle, reason } =
      cookie.kind === 'tampered'
        ? { handle: sessionHandle(cookie.raw), reason: 'tampered' as const }
        : this.store.takeRejection(cookie.sessionId);
    this.events.emit('rejected', { handle, reason, ip: req.ip });
  }

  private warnPlainHttp(req: SessionRequest): RequestHandler {
    if (!this.warnedAboutPlainHttp) {
      this.warnedAboutPlainHttp = true;
      const forwarded = req.headers['x-forwarded-proto'];
      this.logger.warn(
        `A request arrived over plain HTTP${forwarded ? ` (X-Forwarded-Proto: ${String(forwarded)})` : ''}, ` +
          'so no Secure session cookie can be sent and the client will have no session. Behind a ' +
          "TLS-terminating proxy, set Express's `trust proxy` (app.set('trust proxy', 'loopback') or " +
          "your proxy's address). For local development over http, set `cookie.secure: 'auto'`.",
      );
    }
    return this.onHttps;
  }
}

function setsCookie(res: Response, name: string): boolean {
  const header = res.getHeader('set-cookie');
  const cookies = Array.isArray(header) ? header : header === undefined ? [] : [String(header)];
  return cookies.some((cookie) => cookie.startsWith(`${name}=`));
}
