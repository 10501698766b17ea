import { Module } from '@nestjs/common';
import { RealtimeGateway } from './realtime.gateway.js';

/**
 * The sample's WebSocket endpoint (socket.io, namespace `/realtime`). It injects SessionService,
 * so SessionModule is registered with `isGlobal: true`.
 */
@Module({ providers: [RealtimeGateway] })
export class RealtimeModule {}
