import { Module, type DynamicModule } from '@nestjs/common';
import { UsersModule } from '../auth/users.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { emailGateway } from './email.gateway.js';
import { RealtimeGateway } from './realtime.gateway.js';

/**
 * The sample's WebSocket endpoint (socket.io, namespace `/realtime`). It injects SessionService,
 * so SessionModule is registered with `isGlobal: true`.
 */
@Module({})
export class RealtimeModule {
  static forRoot(config: Pick<SampleConfig, 'recentLoginMs'>): DynamicModule {
    return {
      module: RealtimeModule,
      imports: [UsersModule],
      providers: [RealtimeGateway, emailGateway(config.recentLoginMs)],
    };
  }
}
