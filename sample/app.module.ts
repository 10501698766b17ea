import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import {
  SameOriginGuard,
  SessionHealthIndicator,
  SessionModule,
  type SessionModuleOptions,
} from 'nestjs-secure-session';
import { SessionAuditService } from './audit/session-audit.service.js';
import { AuthController } from './auth/auth.controller.js';
import { emailController } from './auth/email.controller.js';
import { UsersModule } from './auth/users.module.js';
import { CartController } from './cart/cart.controller.js';
import type { SampleConfig } from './config/sample-config.js';
import { SAMPLE_CONFIG, SampleConfigModule } from './config/sample-config.module.js';
import { SampleGraphqlModule } from './graphql/sample-graphql.module.js';
import { HealthController } from './health/health.controller.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { AssetsController } from './web/assets.controller.js';
import { emailFormController } from './web/email-form.controller.js';
import { WebFormsController } from './web/web-forms.controller.js';
import { WebController } from './web/web.controller.js';

/** Turns the sample's environment into SessionModule options. */
export function sessionOptionsFrom(config: SampleConfig): SessionModuleOptions {
  return {
    secret: config.sessionSecrets,
    // Browsers accept a Secure cookie only over HTTPS (and from http://localhost); 'auto' lets a
    // developer use plain http. Production takes nothing less than always-Secure.
    cookie: { secure: config.production ? true : 'auto' },
    idleTimeout: config.idleTimeout,
    absoluteTimeout: config.absoluteTimeout,
    maxSessionsPerUser: config.maxSessionsPerUser,
    encryptionKeys: config.encryptionKeys,
    migration: {
      // Sessions of the app this sample replaces, kept by connect-redis under this prefix.
      connectRedisPrefix: config.legacyPrefix,
      connectRedisUserId: legacyUserId,
      // Or kept by connect-pg-simple in this table, with PostgreSQL.
      connectPgSimpleTable: config.legacyTable,
      connectPgSimpleUserId: legacyUserId,
      acceptPlaintextRecords: config.acceptPlaintextRecords,
    },
    // Every route needs a logged-in session unless marked @Public().
    globalGuard: true,
    redis: redisOf(config),
    postgres: config.databaseUrl
      ? { url: config.databaseUrl, tablePrefix: config.tablePrefix }
      : undefined,
    exclude: ['health'],
  };
}

const legacyUserId = (legacy: Record<string, any>) =>
  (legacy.user as { id?: string } | undefined)?.id;

// One Redis, a cluster or a Sentinel-managed primary, whichever the environment names.
function redisOf(config: SampleConfig): SessionModuleOptions['redis'] {
  const common = { prefix: config.redisKeyPrefix, revocationReplicas: config.revocationReplicas };
  if (config.redisUrl) return { url: config.redisUrl, ...common };
  if (config.redisClusterNodes)
    return { cluster: { rootNodes: config.redisClusterNodes }, ...common };
  if (config.redisSentinel) return { sentinel: config.redisSentinel, ...common };
  return undefined;
}

/**
 * The sample application: login, logout, the current user and their sessions, an anonymous cart,
 * changing the email (a sensitive action, after a recent sign-in or password confirmation), and
 * the pages and forms a browser uses them through.
 */
@Module({})
export class AppModule {
  static forRoot(config: SampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SampleConfigModule.forRoot(config),
        // Global, so the GraphQL and WebSocket modules inject the same SessionService.
        SessionModule.forRootAsync({
          isGlobal: true,
          inject: [SAMPLE_CONFIG],
          useFactory: sessionOptionsFrom,
        }),
        TerminusModule,
        UsersModule,
        SampleGraphqlModule.forRoot(config),
        RealtimeModule.forRoot(config),
      ],
      controllers: [
        AuthController,
        emailController(config.recentLoginMs),
        CartController,
        HealthController,
        WebController,
        WebFormsController,
        emailFormController(config.recentLoginMs),
        AssetsController,
      ],
      // No state-changing request from another site, on any route.
      providers: [
        SessionAuditService,
        SessionHealthIndicator,
        { provide: APP_GUARD, useExisting: SameOriginGuard },
      ],
    };
  }
}
