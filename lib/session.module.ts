import {
  Inject,
  Logger,
  Module,
  type MiddlewareConsumer,
  type NestModule,
  type Provider,
} from '@nestjs/common';
import { SessionMiddleware } from './middleware/session.middleware.js';
import { resolveSessionOptions } from './options/resolve-session-options.js';
import type { ResolvedSessionOptions } from './options/resolved-session-options.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_MODULE_OPTIONS } from './session.constants.js';
import { ConfigurableModuleClass } from './session.module-definition.js';
import type { SessionModuleOptions } from './session-module-options.interface.js';
import { SessionService } from './session.service.js';
import { sessionStoreProvider } from './stores/session-store.provider.js';

const resolvedOptionsProvider: Provider = {
  provide: RESOLVED_SESSION_OPTIONS,
  inject: [SESSION_MODULE_OPTIONS],
  useFactory: (options: SessionModuleOptions) =>
    resolveSessionOptions(options, new Logger('SessionModule')),
};

/**
 * Secure server-side sessions. `SessionModule.forRoot(options)` or `forRootAsync({ useFactory,
 * inject, imports })` in your AppModule validates the options at startup, sets up the store and
 * mounts the session middleware; inject SessionService and use `@Session()` in controllers.
 */
@Module({
  providers: [resolvedOptionsProvider, sessionStoreProvider, SessionMiddleware, SessionService],
  exports: [SessionService],
})
export class SessionModule extends ConfigurableModuleClass implements NestModule {
  constructor(@Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(SessionMiddleware)
      .exclude(...this.options.exclude)
      .forRoutes(...this.options.forRoutes);
  }
}
