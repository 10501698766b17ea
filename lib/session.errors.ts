import {
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';

/**
 * GraphQL servers read a resolver error's `extensions`: the code clients switch on, and Apollo
 * Server answers the request with `http.status` instead of 200. graphql-ws ignores `http`.
 */
function withGraphqlStatus<T extends HttpException>(exception: T, code?: string): T {
  const http = { status: exception.getStatus() };
  Object.defineProperty(exception, 'extensions', { value: code ? { code, http } : { http } });
  return exception;
}

/** Thrown at startup when `SessionModule` options are invalid or insecure. */
export class SessionOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid SessionModule options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SessionOptionsError';
  }
}

/** Answers 503 when the session store cannot be reached; the request is not let through. */
export class SessionStoreUnavailableException extends ServiceUnavailableException {
  constructor() {
    super('Session store unavailable, try again shortly');
    this.name = 'SessionStoreUnavailableException';
    withGraphqlStatus(this);
  }
}

/**
 * A new session whose cookie could not reach the browser: a Secure cookie on a request seen as
 * plain HTTP. Nothing is stored. Answers 500 with the fix: behind a TLS-terminating proxy set
 * Express's `trust proxy` or Fastify's `trustProxy`; for local development over http set
 * `cookie.secure: 'auto'`.
 */
export class SessionCookieUndeliverableException extends InternalServerErrorException {
  constructor() {
    super(
      'The session cookie is Secure but this request arrived over plain HTTP, so no session was ' +
        "started. Behind a TLS-terminating proxy, set Express's `trust proxy` " +
        "(app.set('trust proxy', 'loopback') or your proxy's address) or Fastify's " +
        "`trustProxy`; for local development over http, set `cookie.secure: 'auto'`.",
    );
    this.name = 'SessionCookieUndeliverableException';
  }
}

/**
 * A Passport login (`passport.user` put in the session) on a session ID that came with the
 * request: storing it would authenticate an ID an attacker may have planted (session fixation),
 * so nothing is stored. Answers 500 with the fix: Passport 0.6 and later regenerate the session
 * on login; with an older one, call `req.session.regenerate()` before `req.login()`.
 */
export class UnboundLoginException extends InternalServerErrorException {
  constructor() {
    super(
      'A Passport login on a session ID that came with the request was not stored (it would be ' +
        'session fixation). Passport 0.6 and later regenerate the session on login; with an ' +
        'older Passport, call req.session.regenerate() before req.login().',
    );
    this.name = 'UnboundLoginException';
  }
}

/** @internal A loggable message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : 'unknown error';
}

/**
 * @internal The answer to a failure: a refusal (401, 413...) keeps its status; anything else is a
 * 503, logged unless it is one already (the store logged its cause).
 */
export function failureAnswer(err: unknown, logger: { error(message: string): unknown }) {
  if (err instanceof HttpException) return err;
  logger.error(`Session store failed: ${errorMessage(err)}`);
  return new SessionStoreUnavailableException();
}

/** A session write refused because the session was revoked meanwhile; answers 401. */
export class SessionRevokedException extends UnauthorizedException {
  constructor() {
    super('Session revoked');
    this.name = 'SessionRevokedException';
    withGraphqlStatus(this, 'UNAUTHENTICATED');
  }
}

/** @deprecated Renamed {@link SessionRevokedException} (an HTTP exception); same class. */
export const SessionRevokedError = SessionRevokedException;
/** @deprecated Renamed {@link SessionRevokedException}. */
export type SessionRevokedError = SessionRevokedException;

/** Answers 401 when a route needs a logged-in session and the request has none. */
export class SessionRequiredException extends UnauthorizedException {
  constructor(message = 'Authentication required') {
    super(message);
    this.name = 'SessionRequiredException';
    withGraphqlStatus(this, 'UNAUTHENTICATED');
  }
}

/**
 * A sensitive action (`@RecentLogin()`) asked of a session whose user proved who they are longer
 * ago than it allows; answers 403 with `code: 'REAUTHENTICATION_REQUIRED'` (and in GraphQL's
 * `extensions`): ask for the password again, call `SessionService.reauthenticate()`, retry.
 */
export class ReauthenticationRequiredException extends ForbiddenException {
  /** The code a client switches on, in the body and in GraphQL's `extensions`. */
  static readonly code = 'REAUTHENTICATION_REQUIRED';

  constructor(readonly maxAge: number) {
    super({
      statusCode: 403,
      error: 'Forbidden',
      code: ReauthenticationRequiredException.code,
      message: 'Confirm your password to continue: this action needs a recent sign-in',
      maxAge,
    });
    this.name = 'ReauthenticationRequiredException';
    withGraphqlStatus(this, ReauthenticationRequiredException.code);
  }
}

/**
 * A state-changing request without the session's CSRF token (`_csrf` field or `x-csrf-token`
 * header), or with one of another session, of a logged-out one, or from before a login; answers
 * 403 with `code: 'CSRF_TOKEN_INVALID'`.
 */
export class CsrfTokenException extends ForbiddenException {
  /** The code a client switches on, in the body and in GraphQL's `extensions`. */
  static readonly code = 'CSRF_TOKEN_INVALID';

  constructor() {
    super({
      statusCode: 403,
      error: 'Forbidden',
      code: CsrfTokenException.code,
      message: 'Missing or invalid CSRF token: reload the page and try again',
    });
    this.name = 'CsrfTokenException';
    withGraphqlStatus(this, CsrfTokenException.code);
  }
}

/** A session write refused because the session data is over `maxSessionBytes`; answers 413. */
export class SessionTooLargeException extends PayloadTooLargeException {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`Session data is ${bytes} bytes, over the ${maxBytes}-byte limit (maxSessionBytes)`);
    this.name = 'SessionTooLargeException';
    withGraphqlStatus(this);
  }
}

/** @deprecated Renamed {@link SessionTooLargeException} (an HTTP exception); same class. */
export const SessionTooLargeError = SessionTooLargeException;
/** @deprecated Renamed {@link SessionTooLargeException}. */
export type SessionTooLargeError = SessionTooLargeException;

/** Answers 403 when SameOriginGuard refuses a request or connection from another site. */
export class CrossSiteRequestException extends ForbiddenException {
  constructor(message: string) {
    super(message);
    this.name = 'CrossSiteRequestException';
    withGraphqlStatus(this, 'FORBIDDEN');
  }
}
