import type { FactoryProvider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SessionEvents } from '../events/session-events.js';
import { SessionLifetime } from '../lifetime/session-lifetime.js';
import { LegacySessionMigration } from '../migration/legacy-session.migration.js';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import { RESOLVED_SESSION_OPTIONS, SESSION_STORE } from '../session.constants.js';
import { recordCodecOf } from '../stores/session-store.provider.js';
import { SessionRecords } from '../stores/session-records.js';
import type { SessionStore } from '../stores/session-store.interface.js';
import { UserSessionIndex } from '../user-session-index.js';
import { platformTransport } from './request-transport.js';
import { RouteScope } from './route-scope.js';
import { SessionCookiePolicy } from './session-cookie.js';
import { SessionEngine } from './session-engine.js';
import { SessionHandler } from './session-handler.js';
import { SessionMount } from './session-mount.js';

const LEGACY_SESSION_MIGRATION = 'SESSION:LEGACY_SESSION_MIGRATION';

/** @internal Every provider of the session engine, from the store up to its mounting. */
export const sessionEngineProviders: FactoryProvider[] = [
  {
    provide: UserSessionIndex,
    inject: [SESSION_STORE, SessionRecords, SessionLifetime, SessionEvents],
    useFactory: (
      store: SessionStore,
      records: SessionRecords,
      lifetime: SessionLifetime,
      events: SessionEvents,
    ) => new UserSessionIndex(store, records, lifetime, events),
  },
  {
    provide: LEGACY_SESSION_MIGRATION,
    inject: [RESOLVED_SESSION_OPTIONS, SESSION_STORE, SessionRecords, UserSessionIndex],
    useFactory: (
      options: ResolvedSessionOptions,
      store: SessionStore,
      records: SessionRecords,
      index: UserSessionIndex,
    ) => {
      if (!store.legacySessions) return null;
      const { connectRedisUserId, connectPgSimpleUserId } = options.migration;
      return new LegacySessionMigration(
        store.legacySessions,
        connectRedisUserId ?? connectPgSimpleUserId,
        recordCodecOf(options),
        records,
        index,
      );
    },
  },
  {
    provide: SessionCookiePolicy,
    inject: [RESOLVED_SESSION_OPTIONS],
    useFactory: (options: ResolvedSessionOptions) => new SessionCookiePolicy(options),
  },
  {
    provide: SessionEngine,
    inject: [
      RESOLVED_SESSION_OPTIONS,
      SessionCookiePolicy,
      SessionRecords,
      UserSessionIndex,
      SessionLifetime,
      SessionEvents,
      LEGACY_SESSION_MIGRATION,
    ],
    useFactory: (
      options: ResolvedSessionOptions,
      policy: SessionCookiePolicy,
      records: SessionRecords,
      index: UserSessionIndex,
      lifetime: SessionLifetime,
      events: SessionEvents,
      migration: LegacySessionMigration | null,
    ) =>
      new SessionEngine({
        policy,
        transport: platformTransport,
        records,
        index,
        lifetime,
        events,
        maxSessionsPerUser: options.maxSessionsPerUser,
        migration: migration ?? undefined,
        isRevoked: (handle) => records.isRevoked(handle),
      }),
  },
  {
    provide: SessionMount,
    inject: [
      RESOLVED_SESSION_OPTIONS,
      SessionEngine,
      SessionCookiePolicy,
      SessionEvents,
      HttpAdapterHost,
    ],
    useFactory: (
      options: ResolvedSessionOptions,
      engine: SessionEngine,
      policy: SessionCookiePolicy,
      events: SessionEvents,
      host: HttpAdapterHost,
    ) => {
      const scope = new RouteScope(options.forRoutes, options.exclude, options.cookie.path);
      const mount = new SessionMount(
        new SessionHandler(engine, policy, platformTransport, scope, events),
        host,
        engine.reader,
        engine.inFlight,
        scope,
      );
      // NestFactory.create() has its HTTP adapter already: mounting now puts the session
      // handling before anything main.ts adds with app.use() (passport.session(), say).
      mount.mountIfReady();
      return mount;
    },
  },
];
