import './session-data.js';
import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { AppModule } from './app.module.js';
import type { SampleConfig } from './config/sample-config.js';
import { SAMPLE_PLATFORM_ADAPTERS } from './platforms/sample-platforms.js';
import { SecureIoAdapter } from './realtime/secure-io.adapter.js';
import { securityHeaders } from './web/security-headers.js';

/**
 * Creates the sample app on its platform (`SAMPLE_PLATFORM`), configured but not listening;
 * main.ts and the e2e tests share it.
 */
export async function createSampleApp(
  config: SampleConfig,
  { quiet = false } = {},
): Promise<INestApplication> {
  const platform = SAMPLE_PLATFORM_ADAPTERS[config.platform];
  // On every response: the platform's and socket.io's alike.
  const headers = securityHeaders(config, platform.graphiqlPaths);
  const app = await platform.createApp({
    module: AppModule.forRoot(config),
    config,
    logger: quiet ? false : ['log', 'warn', 'error'],
    headers,
  });
  app.useWebSocketAdapter(new SecureIoAdapter(app, headers));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  app.enableShutdownHooks();
  return app;
}
