import './session-data.js';
import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { SampleConfig } from './config/sample-config.js';
import { SecureIoAdapter } from './realtime/secure-io.adapter.js';
import { securityHeaders } from './web/security-headers.js';

/** Creates the sample app, configured but not listening; main.ts and the e2e tests share it. */
export async function createSampleApp(
  config: SampleConfig,
  { quiet = false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: quiet ? false : ['log', 'warn', 'error'],
    // Throw a startup error (e.g. a bad option) to the caller instead of exiting the process.
    abortOnError: false,
  });
  app.disable('x-powered-by');
  // On every response, Express's and socket.io's alike.
  const headers = securityHeaders(config);
  app.use(headers);
  app.useWebSocketAdapter(new SecureIoAdapter(app, headers));
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  app.enableShutdownHooks();
  return app;
}
