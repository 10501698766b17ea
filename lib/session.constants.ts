/** Injection token of the raw options given to `SessionModule.forRoot()` / `forRootAsync()`. */
export const SESSION_MODULE_OPTIONS = 'SESSION:MODULE_OPTIONS';

/** @internal Injection token of the validated options with every default filled in. */
export const RESOLVED_SESSION_OPTIONS = 'SESSION:RESOLVED_OPTIONS';

/** @internal Injection token of the session store the middleware reads and writes. */
export const SESSION_STORE = 'SESSION:STORE';

/** @internal Request property the middleware sets when the store could not be reached. */
export const SESSION_STORE_FAILURE = Symbol('SESSION:STORE_FAILURE');
