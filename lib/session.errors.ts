import {
  InternalServerErrorException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';

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
  }
}

/**
 * A new session whose cookie could not reach the browser: a Secure cookie on a request seen as
 * plain HTTP. Nothing is stored. Answers 500 with the fix: behind a TLS-terminating proxy set
 * Express's `trust proxy`; for local development over http set `cookie.secure: 'auto'`.
 */
export class SessionCookieUndeliverableException extends InternalServerErrorException {
  constructor() {
    super(
      'The session cookie is Secure but this request arrived over plain HTTP, so no session was ' +
        "started. Behind a TLS-terminating proxy, set Express's `trust proxy` " +
        "(app.set('trust proxy', 'loopback') or your proxy's address); for local development " +
        "over http, set `cookie.secure: 'auto'`.",
    );
    this.name = 'SessionCookieUndeliverableException';
  }
}

/** @internal A loggable message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : 'unknown error';
}

/** A session write refused because the session was revoked meanwhile; answers 401. */
export class SessionRevokedError extends UnauthorizedException {
  constructor() {
    super('Session revoked');
    this.name = 'SessionRevokedError';
  }
}

/** Answers 401 when a route needs a logged-in session and the request has none. */
export class SessionRequiredException extends UnauthorizedException {
  constructor(message = 'Authentication required') {
    super(message);
    this.name = 'SessionRequiredException';
  }
}

/** A session write refused because the session data is over `maxSessionBytes`; answers 413. */
export class SessionTooLargeError extends PayloadTooLargeException {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`Session data is ${bytes} bytes, over the ${maxBytes}-byte limit (maxSessionBytes)`);
    this.name = 'SessionTooLargeError';
  }
}
