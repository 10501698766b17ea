import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { apolloGraphqlModule } from '../graphql/apollo-graphql.module.js';
import type { SampleAppInit, SamplePlatform } from './sample-platform.js';

/** The sample on Express (the default): helmet as the first middleware, Apollo at /graphql. */
export const expressPlatform: SamplePlatform = {
  async createApp({ module, config, logger, headers }: SampleAppInit) {
    const app = await NestFactory.create<NestExpressApplication>(module, {
      logger,
      // Throw a startup error (e.g. a bad option) to the caller instead of exiting the process.
      abortOnError: false,
    });
    app.disable('x-powered-by');
    app.use(headers);
    if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
    return app;
  },
  graphqlModule: apolloGraphqlModule,
  // Apollo answers a browser's GET /graphql with GraphiQL.
  graphiqlPaths: ['/graphql'],
};
