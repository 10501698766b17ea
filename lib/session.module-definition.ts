import { ConfigurableModuleBuilder } from '@nestjs/common';
import { SESSION_MODULE_OPTIONS } from './session.constants.js';
import type { SessionModuleOptions } from './session-module-options.interface.js';

/** Extras accepted by `forRoot()` and `forRootAsync()` besides the session options. */
export interface SessionModuleExtras {
  /** Register the module globally, so feature modules can inject SessionService. Default `false`. */
  isGlobal?: boolean;
}

/** @internal */
export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SessionModuleOptions>({
    moduleName: 'Session',
    optionsInjectionToken: SESSION_MODULE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSessionOptions')
    .setExtras<SessionModuleExtras>({ isGlobal: false }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }))
    .build();
