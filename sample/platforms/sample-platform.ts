import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { SampleConfig } from '../config/sample-config.js';
import type { HeadersMiddleware } from '../web/security-headers.js';

/** How the sample's app is created: its module, its config and its logger. */
export interface SampleAppInit {
  module: DynamicModule;
  config: SampleConfig;
  logger: false | ('log' | 'warn' | 'error')[];
  /** The security headers every response carries (web/security-headers.ts). */
  headers: HeadersMiddleware;
}

/**
 * What differs between the HTTP platforms the sample runs on (`SAMPLE_PLATFORM`): how the app is
 * created — its security headers, `X-Powered-By` and which proxies it trusts — and which
 * GraphQL driver serves /graphql. Controllers, guards, pipes and the gateway are the same code on
 * each.
 */
export interface SamplePlatform {
  /** The Nest app on this platform, configured but not initialised. */
  createApp(init: SampleAppInit): Promise<INestApplication>;
  /** GraphQLModule with this platform's driver, serving the sample's schema at /graphql. */
  graphqlModule(): DynamicModule;
  /** Where that driver serves GraphiQL outside production (a weaker policy there only). */
  readonly graphiqlPaths: readonly string[];
}
