import type { IncomingMessage, ServerResponse } from 'node:http';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import type { DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { SampleConfig } from '../config/sample-config.js';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import { ownCodeOf } from './graphql-errors.js';

/** What the GraphQL context function receives: Apollo's `{ req, res }`, or graphql-ws's `extra`. */
interface TransportContext {
  req?: IncomingMessage;
  res?: ServerResponse;
  extra?: { request: IncomingMessage };
}

/**
 * The sample's GraphQL server on Express: Apollo, queries and mutations over HTTP, subscriptions
 * over graphql-ws, GraphiQL at GET /graphql outside production.
 */
export function apolloGraphqlModule(): DynamicModule {
  return GraphQLModule.forRootAsync<ApolloDriverConfig>({
    driver: ApolloDriver,
    inject: [SAMPLE_CONFIG],
    useFactory: ({ production }: SampleConfig) => ({
      autoSchemaFile: true,
      // The request the session module reads: over HTTP the request itself; for a subscription
      // the WebSocket's upgrade request, which carries the cookie. (Returning no `req` would let
      // @nestjs/apollo put graphql-ws's own context object there.)
      context: ({ req, res, extra }: TransportContext) => ({ req: req ?? extra?.request, res }),
      subscriptions: { 'graphql-ws': true },
      // Refusals are part of the API; the server's stack traces are not.
      includeStacktraceInErrorResponses: false,
      // @nestjs/apollo gives an HttpException its status's code (FORBIDDEN); one that names its
      // own (REAUTHENTICATION_REQUIRED) keeps it, as on Fastify.
      formatError: (formatted, error) => {
        const code = ownCodeOf(unwrapResolverError(error));
        return code ? { ...formatted, extensions: { ...formatted.extensions, code } } : formatted;
      },
      // A refusal keeps its HTTP status (401, 403, 413, 503, from `extensions.http`) instead of
      // @nestjs/apollo's reset to 200, so proxies, logs and clients see it.
      preserveHttpStatusForExecutionErrors: false,
      // GraphiQL at GET /graphql for developers, never in production: it runs an inline script
      // and React from a CDN, which the sample's Content-Security-Policy allows only on that page
      // and only outside production (web/security-headers.ts).
      graphiql: !production,
    }),
  });
}
