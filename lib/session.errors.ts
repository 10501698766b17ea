import {
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

/** Thrown when the session is used on a route the session middleware is not mounted on. */
export class SessionNotMountedError extends Error {
  constructor() {
    super(
      'No session on this request: the route is excluded from the session middleware ' +
        '(see the `forRoutes` and `exclude` options of SessionModule).',
    );
    this.name = 'SessionNotMountedError';
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
