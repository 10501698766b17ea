/** Injection token of the raw options given to `SessionModule.forRoot()` / `forRootAsync()`. */
export const SESSION_MODULE_OPTIONS = 'SESSION:MODULE_OPTIONS';

/** @internal Injection token of the validated options with every default filled in. */
export const RESOLVED_SESSION_OPTIONS = 'SESSION:RESOLVED_OPTIONS';

/** @internal Injection token of the session store (its storage primitives). */
export const SESSION_STORE = 'SESSION:STORE';
