import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpException, Logger } from '@nestjs/common';
import { errorMessage } from '../session.errors.js';
import type { SessionCookiePolicy } from './session-cookie.js';
import type { SessionContext } from './session-context.js';
import { outOfScope, setUnavailable } from './request-session-slot.js';
import type { SessionEngine } from './session-engine.js';
import type { RequestTransport } from './request-transport.js';
import type { RouteScope } from './route-scope.js';
import { sessionHandle } from '../session-handle.js';
import type { SessionEvents } from '../events/session-events.js';

type Next = (err?: unknown) => void;
type End = ServerResponse['end'];

/**
 * @internal The request handling, as two hooks: on the way in, the session is loaded (once); on
 * the way out, in the response's `end`, it is committed before anything is sent, so a failed
 * write is the answer the client gets (503, or 401/413 for a refused one) rather than a log line.
 * Responses that carry or clear the cookie, and those to requests that brought one, get
 * `Cache-Control: no-store`.
 */
export class SessionHandler {
  private readonly logger = new Logger('SessionModule');
  private warnedAboutPlainHttp = false;

  constructor(
    private readonly engine: SessionEngine,
    private readonly policy: SessionCookiePolicy,
    private readonly transport: RequestTransport,
    private readonly scope: RouteScope,
    private readonly events: SessionEvents,
  ) {}

  /** The middleware: `(req, res, next)`. */
  readonly handle = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    if (!this.scope.covers(req)) {
      setUnavailable(req, outOfScope);
      return next();
    }
    const secure = this.transport.isSecure(req);
    if (!secure && !this.policy.deliverable(false)) this.warnPlainHttp(req);
    const context: SessionContext = {
      secure,
      cookieName: this.policy.nameFor(secure),
      res,
      // Called back with Reflect.apply on this very response.
      // oxlint-disable-next-line typescript/unbound-method
      end: res.end as SessionContext['end'],
      finish: this.finish,
    };
    res.end = endAfterCommit.bind(context) as End;
    const cookie = this.policy.read(req.headers.cookie, context.cookieName);
    if (cookie.kind === 'absent') {
      this.engine.startAnonymous(req, context);
      return next();
    }
    res.setHeader('Cache-Control', 'no-store');
    if (cookie.kind === 'tampered') {
      const ip = this.transport.clientIp(req);
      this.events.emit('rejected', { handle: sessionHandle(cookie.raw), reason: 'tampered', ip });
      context.cookie = 'clear';
      this.engine.startAnonymous(req, context);
      return next();
    }
    void this.engine.load(req, context, cookie.sessionId).then(() => proceed(next));
  };

  // Commits the session, then really ends the response with the arguments `end` was called with.
  private readonly finish = (context: SessionContext, args: unknown[]): void => {
    const { res, inflight } = context;
    if (inflight) {
      context.inflight = undefined;
      void inflight.then(() => this.finish(context, args));
      return;
    }
    const pending = this.engine.commit(res.req, context);
    if (pending === undefined) {
      this.setCookie(res, context);
      Reflect.apply(context.end, res, args);
      return;
    }
    pending.then(
      () => {
        this.setCookie(res, context);
        Reflect.apply(context.end, res, args);
      },
      (err: unknown) => this.answerFailedCommit(res, context, err, args),
    );
  };

  private setCookie(res: ServerResponse, context: SessionContext): void {
    this.engine.cookies.send(res.req, context);
  }

  // The session could not be written: the client learns it, unless the response already left.
  private answerFailedCommit(
    res: ServerResponse,
    context: SessionContext,
    err: unknown,
    args: unknown[],
  ): void {
    if (res.headersSent) {
      this.logger.error(`Session not saved, after the response was sent: ${errorMessage(err)}`);
      Reflect.apply(context.end, res, args);
      return;
    }
    const { status, body } = answerOf(err);
    if (status >= 500 && !(err instanceof HttpException)) {
      this.logger.error(`Session not saved: ${errorMessage(err)}`);
    }
    // The answer changes: only what described the old one goes (CORS and security headers stay).
    for (const name of ANSWER_HEADERS) res.removeHeader(name);
    this.setCookie(res, context);
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    Reflect.apply(context.end, res, [JSON.stringify(body)]);
  }

  private warnPlainHttp(req: IncomingMessage): void {
    if (this.warnedAboutPlainHttp) return;
    this.warnedAboutPlainHttp = true;
    const forwarded = req.headers['x-forwarded-proto'];
    this.logger.warn(
      `A request arrived over plain HTTP${forwarded ? ` (X-Forwarded-Proto: ${String(forwarded)})` : ''}, ` +
        'so no Secure session cookie can be sent: logins on such requests are refused. Behind a ' +
        "TLS-terminating proxy, set Express's `trust proxy` (app.set('trust proxy', 'loopback') or " +
        "your proxy's address). For local development over http, set `cookie.secure: 'auto'`.",
    );
  }
}

// A redirect's target too: a failure is not a redirect (a logout that did not happen).
const ANSWER_HEADERS = [
  'location',
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'etag',
  'last-modified',
];

// The `end` of every response with session handling, bound to the request's context.
function endAfterCommit(this: SessionContext, ...args: unknown[]): ServerResponse {
  this.res.end = this.end as End;
  this.finish(this, args);
  return this.res;
}

function answerOf(err: unknown): { status: number; body: object } {
  if (err instanceof HttpException) {
    const response = err.getResponse();
    const body =
      typeof response === 'object' ? response : { statusCode: err.getStatus(), message: response };
    return { status: err.getStatus(), body };
  }
  const message = 'Session store unavailable, try again shortly';
  return { status: 503, body: { statusCode: 503, message, error: 'Service Unavailable' } };
}

// Goes on with the request outside the promise chain that loaded the session, so an exception
// thrown further down is not swallowed as a rejection.
function proceed(next: Next): void {
  try {
    next();
  } catch (err) {
    next(err);
  }
}
