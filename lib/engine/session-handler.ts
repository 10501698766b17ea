import type { IncomingMessage } from 'node:http';
import { HttpException, InternalServerErrorException, Logger } from '@nestjs/common';
import { errorMessage } from '../session.errors.js';
import type { SessionCookiePolicy } from './session-cookie.js';
import type { SessionContext } from './session-context.js';
import type { SessionResponse } from './session-response.js';
import { outOfScope, setUnavailable } from './request-session-slot.js';
import type { SessionEngine } from './session-engine.js';
import type { RequestTransport } from './request-transport.js';
import type { RouteScope } from './route-scope.js';
import { sessionHandle } from '../session-handle.js';
import type { SessionEvents } from '../events/session-events.js';

/** @internal What replaces a response whose session could not be committed. */
export interface FailedCommitAnswer {
  status: number;
  body: object;
}

/**
 * @internal The request handling, platform-neutral, as two steps that a platform adapter calls
 * from its hooks: on the way in, `open` then `load` the session (once); on the way out, before the
 * response's headers leave, `settle` commits it, so a failed write is the answer the client gets
 * (503, or 401/413 for a refused one) rather than a log line. Responses that carry or clear the
 * cookie, and those to requests that brought one, get `Cache-Control: no-store`.
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

  /**
   * The session handling of a request, before anything is read: `undefined` for a request
   * outside the session routes (it gets an inert session that answers why).
   */
  open(req: IncomingMessage, res: SessionResponse): SessionContext | undefined {
    if (!this.scope.covers(req)) {
      setUnavailable(req, outOfScope);
      return undefined;
    }
    const secure = this.transport.isSecure(req);
    if (!secure && !this.policy.deliverable(false)) this.warnPlainHttp(req);
    return { req, res, secure, cookieName: this.policy.nameFor(secure) };
  }

  /** Gives the request its session, then calls `proceed` (at once when nothing is to be read). */
  load(context: SessionContext, proceed: () => void): void {
    const { req, res } = context;
    const cookie = this.policy.read(req.headers.cookie, context.cookieName);
    if (cookie.kind === 'absent') {
      this.engine.startAnonymous(req, context);
      return proceed();
    }
    res.setHeader('Cache-Control', 'no-store');
    if (cookie.kind === 'tampered') {
      const ip = this.transport.clientIp(req);
      this.events.emit('rejected', { handle: sessionHandle(cookie.raw), reason: 'tampered', ip });
      context.cookie = 'clear';
      this.engine.startAnonymous(req, context);
      return proceed();
    }
    void this.engine.load(req, context, cookie.sessionIds).then(proceed);
  }

  /**
   * Commits the session and puts its cookie on the response. `undefined` (decided without
   * waiting, the common case) or a promise of `undefined`: the response goes as it is; a promise
   * of an answer: the commit failed, and the adapter sends that answer instead.
   */
  settle(context: SessionContext): Promise<FailedCommitAnswer | undefined> | undefined {
    const { inflight } = context;
    if (inflight) {
      context.inflight = undefined;
      return inflight.then(() => this.settle(context));
    }
    let pending: Promise<void> | undefined;
    try {
      pending = this.engine.commit(context.req, context);
      if (pending === undefined) {
        this.engine.cookies.send(context.req, context);
        return undefined;
      }
    } catch (err) {
      // Session data JSON cannot hold (a BigInt, a cycle): an answer, never a hung response.
      this.logger.error(`Session not saved: ${errorMessage(err)}`);
      const refusal = new InternalServerErrorException('The session could not be saved');
      return Promise.resolve(this.failedCommit(context, refusal));
    }
    return pending.then(
      () => {
        this.engine.cookies.send(context.req, context);
        return undefined;
      },
      (err: unknown) => this.failedCommit(context, err),
    );
  }

  // The session could not be written: the client learns it, unless the response already left.
  private failedCommit(context: SessionContext, err: unknown): FailedCommitAnswer | undefined {
    if (context.res.headersSent) {
      this.logger.error(`Session not saved, after the response was sent: ${errorMessage(err)}`);
      return undefined;
    }
    const { status, body } = answerOf(err);
    if (status >= 500 && !(err instanceof HttpException)) {
      this.logger.error(`Session not saved: ${errorMessage(err)}`);
    }
    // Only what described the replaced answer goes (CORS and security headers stay).
    for (const name of ANSWER_HEADERS) context.res.removeHeader(name);
    this.engine.cookies.send(context.req, context);
    context.res.setHeader('Cache-Control', 'no-store');
    return { status, body };
  }

  private warnPlainHttp(req: IncomingMessage): void {
    if (this.warnedAboutPlainHttp) return;
    this.warnedAboutPlainHttp = true;
    const forwarded = req.headers['x-forwarded-proto'];
    this.logger.warn(
      `A request arrived over plain HTTP${forwarded ? ` (X-Forwarded-Proto: ${String(forwarded)})` : ''}, ` +
        'so no Secure session cookie can be sent: logins on such requests are refused. Behind a ' +
        "TLS-terminating proxy, set Express's `trust proxy` (app.set('trust proxy', 'loopback') or " +
        "your proxy's address) or Fastify's `trustProxy`. For local development over http, set " +
        "`cookie.secure: 'auto'`.",
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
