import type { SessionModuleOptions } from '../session-module-options.interface.js';

/**
 * @internal The default of every option that has one, and the only place its value is written:
 * the resolver fills these in, `ResolvedSessionOptions` makes these options required, and tests
 * hold each schema's `@default` tag and docs/options.md to them. An option not listed here has no
 * default. Itself a valid options object, so a misspelt or mistyped default does not compile.
 */
export const SESSION_DEFAULTS = {
  name: 'sid',
  cookie: { secure: true, httpOnly: true, sameSite: 'lax', path: '/' },
  idleTimeout: 30 * 60 * 1000,
  absoluteTimeout: 8 * 60 * 60 * 1000,
  renewalFraction: 0.1,
  maxSessionsPerUser: 10_000,
  globalGuard: false,
  globalInterceptor: true,
  // Applied only when `redis` is given: without it, sessions live in the in-memory store.
  redis: {
    prefix: 'session:',
    commandTimeout: 2000,
    connectTimeout: 2000,
    maxQueuedCommands: 1000,
    revocationReplicas: 0,
  },
  storeTimeout: 2000,
  // Applied only when `postgres` is given.
  postgres: {
    schema: 'public',
    tablePrefix: 'secure_session_',
    createTables: true,
    queryTimeout: 2000,
    poolSize: 10,
    sweepInterval: 60_000,
  },
  maxSessionBytes: 8192,
  migration: { acceptPlaintextRecords: false },
  allowedOrigins: [],
  forRoutes: ['{*path}'],
  exclude: [],
  dangerouslyAllowInsecureProductionConfig: false,
} satisfies SessionModuleOptions;
