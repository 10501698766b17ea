import { Module, type DynamicModule } from '@nestjs/common';
import { UsersModule } from '../auth/users.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { SAMPLE_PLATFORM_ADAPTERS } from '../platforms/sample-platforms.js';
import { AuthResolver } from './auth.resolver.js';
import { emailResolver } from './email.resolver.js';
import { TicksResolver } from './ticks.resolver.js';

/**
 * The sample's GraphQL endpoint at /graphql (queries and mutations over HTTP, subscriptions over
 * graphql-ws), behind the same guards as the controllers: RevokedSessionGuard unless @Public(),
 * SameOriginGuard for every POST and every WebSocket handshake. The schema and resolvers are the
 * same on every platform; the driver is the platform's (Apollo on Express, Mercurius on Fastify).
 */
@Module({})
export class SampleGraphqlModule {
  static forRoot(config: Pick<SampleConfig, 'platform' | 'recentLoginMs'>): DynamicModule {
    return {
      module: SampleGraphqlModule,
      imports: [SAMPLE_PLATFORM_ADAPTERS[config.platform].graphqlModule(), UsersModule],
      providers: [AuthResolver, emailResolver(config.recentLoginMs), TicksResolver],
    };
  }
}
