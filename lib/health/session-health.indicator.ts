import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
// Types only: @nestjs/terminus is an optional peer, loaded when a health check first runs.
import type { HealthIndicatorService } from '@nestjs/terminus';
import { SessionService } from '../session.service.js';
import type { SessionStoreKind } from '../stores/session-store.interface.js';

/** What `SessionHealthIndicator.isHealthy()` reports under its key: a terminus indicator result. */
export interface SessionStoreHealth {
  /** `up` while the store answers within its command timeout, `down` while it does not. */
  status: 'up' | 'down';
  /** Which store holds the sessions. */
  store: SessionStoreKind;
  /** Why the store is down; never an address or a credential. */
  message?: string;
}

const DOWN_MESSAGE =
  'The session store is unreachable or did not answer within its command timeout';

/**
 * A `@nestjs/terminus` health indicator for the session store: `up` while it answers within its
 * command timeout (every primary, on a cluster), `down` while it does not, which makes terminus's
 * `HealthCheckService.check()` answer 503. Needs `@nestjs/terminus` (an optional peer).
 *
 * Register it in a module that imports `TerminusModule` and can inject `SessionService` (the one
 * importing `SessionModule`, or any module when `SessionModule` is `isGlobal`):
 *
 * ```ts
 * @Module({
 *   imports: [TerminusModule, SessionModule.forRoot({ secret, redis: { url } })],
 *   controllers: [HealthController],
 *   providers: [SessionHealthIndicator],
 * })
 * export class AppModule {}
 * ```
 *
 * and check it with `health.check([() => this.sessionStore.isHealthy()])`.
 */
@Injectable()
export class SessionHealthIndicator {
  private indicators?: HealthIndicatorService;

  // Terminus's service comes from the ModuleRef, not the constructor: naming its class here would
  // make loading this package require @nestjs/terminus, even for apps without health checks.
  constructor(
    protected readonly sessions: SessionService,
    protected readonly moduleRef: ModuleRef,
  ) {}

  /**
   * Checks the session store and resolves terminus's result under `key`:
   * `{ [key]: { status: 'up', store } }`, or `{ [key]: { status: 'down', store, message } }`.
   * Rejects only when `@nestjs/terminus` or `TerminusModule` is missing.
   */
  async isHealthy<const Key extends string = 'session-store'>(
    key: Key = 'session-store' as Key,
  ): Promise<Record<Key, SessionStoreHealth>> {
    const indicator = (await this.healthIndicators()).check(key);
    const store = this.sessions.storeKind;
    return (await this.sessions.isStoreReachable())
      ? indicator.up({ store })
      : indicator.down({ store, message: DOWN_MESSAGE });
  }

  private async healthIndicators(): Promise<HealthIndicatorService> {
    if (this.indicators) return this.indicators;
    let terminus: typeof import('@nestjs/terminus');
    try {
      terminus = await import('@nestjs/terminus');
    } catch (cause) {
      throw new Error(
        'SessionHealthIndicator needs @nestjs/terminus: install it (npm install @nestjs/terminus)',
        { cause },
      );
    }
    try {
      this.indicators = this.moduleRef.get(terminus.HealthIndicatorService, { strict: false });
    } catch (cause) {
      throw new Error(
        'SessionHealthIndicator needs TerminusModule: import it in the module that provides ' +
          'SessionHealthIndicator',
        { cause },
      );
    }
    return this.indicators;
  }
}
