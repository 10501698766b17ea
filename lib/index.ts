export { Session } from './decorators/session.decorator.js';
export { MemorySessionStore } from './stores/memory-session.store.js';
export type { SessionStoreKind } from './stores/session-store.provider.js';
export { SESSION_MODULE_OPTIONS } from './session.constants.js';
export type { RequestSession, SessionData, SessionMetadata } from './session-data.interface.js';
export {
  SessionNotMountedError,
  SessionOptionsError,
  SessionStoreUnavailableException,
} from './session.errors.js';
export type {
  SessionCookieOptions,
  SessionExcludedRoute,
  SessionModuleOptions,
  SessionOptionsFactory,
  SessionRedisOptions,
  SessionRoute,
} from './session-module-options.interface.js';
export type { SessionModuleExtras } from './session.module-definition.js';
export { SessionModule } from './session.module.js';
export { SessionService, type RegenerateOptions, type SessionInfo } from './session.service.js';
