import {
  Logger,
  Module,
  type CanActivate,
  type NestInterceptor,
  type NestModule,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { SessionEvents } from './events/session-events.js';
import { RevokedSessionGuard } from './guards/revoked-session.guard.js';
import { SameOriginGuard } from './guards/same-origin.guard.js';
import { CsrfTokenGuard } from './guards/csrf-token.guard.js';
import { RecentLoginGuard } from './guards/recent-login.guard.js';
import { IdleTimeoutInterceptor } from './interceptors/idle-timeout.interceptor.js';
import { sessionEngineProviders } from './engine/session-engine.providers.js';
import { SessionMount } from './engine/session-mount.js';
import { resolveSessionOptions } from './options/resolve-session-options.js';
import type { ResolvedSessionOptions } from './options/resolved-session-options.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_MODULE_OPTIONS } from './session.constants.js';
import { ConfigurableModuleClass } from './session.module-definition.js';
import type { SessionModuleOptions } from './session-module-options.interface.js';
import { SessionService } from './session.service.js';
import {
  sessionLifetimeProvider,
  sessionRecordsProvider,
  sessionStoreProvider,
} from './stores/session-store.provider.js';

const resolvedOptionsProvider: Provider = {
  provide: RESOLVED_SESSION_OPTIONS,
  inject: [SESSION_MODULE_OPTIONS],
  useFactory: (options: SessionModuleOptions) =>
    resolveSessionOptions(options, new Logger('SessionModule')),
};

// Global registration is decided by options that forRootAsync only knows at runtime, so the
// providers always exist and stand aside when their option is off.
const letThrough: CanActivate & NestInterceptor = {
  canActivate: () => true,
  intercept: (_context, next) => next.handle(),
};

const globalGuardProvider: Provider = {
  provide: APP_GUARD,
  inject: [RESOLVED_SESSION_OPTIONS, RevokedSessionGuard],
  useFactory: (options: ResolvedSessionOptions, guard: RevokedSessionGuard) =>
    options.globalGuard ? guard : letThrough,
};

const globalInterceptorProvider: Provider = {
  provide: APP_INTERCEPTOR,
  inject: [RESOLVED_SESSION_OPTIONS, IdleTimeoutInterceptor],
  useFactory: (options: ResolvedSessionOptions, interceptor: IdleTimeoutInterceptor) =>
    options.globalInterceptor ? interceptor : letThrough,
};

/**
 * Secure server-side sessions. `SessionModule.forRoot(options)` or `forRootAsync({ useFactory,
 * inject, imports })` in your AppModule validates the options at startup, sets up the store and
 * puts the session handling in front of the app's routes; inject SessionService and use
 * `@Session()` in controllers.
 */
@Module({
  providers: [
    resolvedOptionsProvider,
    sessionLifetimeProvider,
    sessionStoreProvider,
    sessionRecordsProvider,
    ...sessionEngineProviders,
    SessionEvents,
    SessionService,
    RevokedSessionGuard,
    SameOriginGuard,
    RecentLoginGuard,
    CsrfTokenGuard,
    IdleTimeoutInterceptor,
    globalGuardProvider,
    globalInterceptorProvider,
  ],
  exports: [
    SessionService,
    SessionEvents,
    RevokedSessionGuard,
    SameOriginGuard,
    RecentLoginGuard,
    CsrfTokenGuard,
    IdleTimeoutInterceptor,
    RESOLVED_SESSION_OPTIONS,
  ],
})
export class SessionModule
  extends ConfigurableModuleClass
  implements NestModule, OnApplicationBootstrap
{
  constructor(private readonly mount: SessionMount) {
    super();
  }

  // Runs at app.init(): by then an app built with Test.createTestingModule() has its adapter.
  configure(): void {
    this.mount.mountIfReady();
  }

  onApplicationBootstrap(): void {
    this.mount.followHandshakes();
  }
}
