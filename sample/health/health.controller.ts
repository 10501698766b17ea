import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public, SessionHealthIndicator, type SessionStoreKind } from 'nestjs-secure-session';

/** What /health answers: 200 and `ok` while the session store answers, 503 while it does not. */
export interface HealthReport {
  status: 'ok' | 'unavailable';
  store: SessionStoreKind;
}

const KEY = 'session-store';

/** Liveness of the app and reachability of its session store, checked through terminus. */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sessionStore: SessionHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  async check(): Promise<HealthReport> {
    try {
      return report('ok', await this.health.check([() => this.sessionStore.isHealthy(KEY)]));
    } catch (error) {
      // Terminus's 503 carries its whole result; the sample answers with its short report.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      throw new ServiceUnavailableException(
        report('unavailable', error.getResponse() as HealthCheckResult),
      );
    }
  }
}

function report(status: HealthReport['status'], { details }: HealthCheckResult): HealthReport {
  return { status, store: details[KEY]?.store as SessionStoreKind };
}
