import { ConfigurableModuleBuilder } from '@nestjs/common';
import { SESSION_MODULE_OPTIONS } from './session.constants.js';
import type { SessionModuleOptions } from './session-module-options.interface.js';

/** Extras accepted by `forRoot()` and `forRootAsync()` besides the session options. */
export interface SessionModuleExtras {
  /**
   * Register the module globally, so feature modules can inject SessionService.
   * @default false
   */
  isGlobal?: boolean;
}

/** @internal The default of each extra; docs/options.md is checked against it. */
export const SESSION_MODULE_EXTRAS = { isGlobal: false } satisfies Required<SessionModuleExtras>;

/** @internal */
export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SessionModuleOptions>({
    moduleName: 'Session',
    optionsInjectionToken: SESSION_MODULE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSessionOptions')
    .setExtras<SessionModuleExtras>(SESSION_MODULE_EXTRAS, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }))
    .build();
