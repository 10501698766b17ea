export { InjectSessionOptions } from './decorators/inject-session-options.decorator.js';
export { Public } from './decorators/public.decorator.js';
export { RecentLogin } from './decorators/recent-login.decorator.js';
export { Session } from './decorators/session.decorator.js';
export {
  SESSION_EVENT_NAMES,
  SessionEvents,
  type RejectionReason,
  type RevocationCause,
  type SessionEventMap,
  type SessionEventName,
} from './events/session-events.js';
export { CsrfTokenGuard } from './guards/csrf-token.guard.js';
export { RecentLoginGuard } from './guards/recent-login.guard.js';
export { RevokedSessionGuard } from './guards/revoked-session.guard.js';
export { SameOriginGuard } from './guards/same-origin.guard.js';
export {
  SessionHealthIndicator,
  type SessionStoreHealth,
} from './health/session-health.indicator.js';
export { IdleTimeoutInterceptor } from './interceptors/idle-timeout.interceptor.js';
export type { ExpiryReason } from './lifetime/session-lifetime.js';
export { SESSION_MODULE_OPTIONS } from './session.constants.js';
export type { ResolvedSessionOptions } from './options/resolved-session-options.js';
export type {
  RequestSession,
  SessionCookieSettings,
  SessionData,
  SessionMembers,
  SessionMetadata,
  SessionSnapshot,
} from './session-data.interface.js';
export type { SessionRequest } from './session-request.js';
export {
  CrossSiteRequestException,
  CsrfTokenException,
  ReauthenticationRequiredException,
  SessionCookieUndeliverableException,
  SessionOptionsError,
  SessionRequiredException,
  SessionRevokedError,
  SessionRevokedException,
  SessionStoreUnavailableException,
  SessionTooLargeError,
  SessionTooLargeException,
  UnboundLoginException,
} from './session.errors.js';
export type {
  SessionCookieOptions,
  SessionExcludedRoute,
  SessionMigrationOptions,
  SessionModuleOptions,
  SessionPostgresOptions,
  SessionOptionsFactory,
  SessionRedisClusterOptions,
  SessionRedisOptions,
  SessionRedisSentinelOptions,
  SessionRoute,
} from './session-module-options.interface.js';
export type { SessionRedisClient } from './redis/redis-connection.js';
export type { SessionPostgresPool, SessionPostgresPoolClient } from './postgres/postgres-pool.js';
export type { SessionModuleExtras } from './session.module-definition.js';
export { SessionModule } from './session.module.js';
export { SessionService } from './session.service.js';
export type {
  LoginOptions,
  RegenerateOptions,
  SessionInfo,
  SessionListing,
} from './session-service.interfaces.js';
export type {
  IndexEntry,
  LegacySessionSource,
  SessionStore,
  SessionStoreKind,
} from './stores/session-store.interface.js';
