import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { UsersModule } from '../auth/users.module.js';
import type { SampleConfig } from '../config/sample-config.js';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import { AuthResolver } from './auth.resolver.js';
import { TicksResolver } from './ticks.resolver.js';

/** What the GraphQL context function receives: Apollo's `{ req, res }`, or graphql-ws's `extra`. */
interface TransportContext {
  req?: IncomingMessage;
  res?: ServerResponse;
  extra?: { request: IncomingMessage };
}

/**
 * The sample's GraphQL endpoint at /graphql (queries and mutations over HTTP, subscriptions over
 * graphql-ws), behind the same guards as the controllers: RevokedSessionGuard unless @Public(),
 * SameOriginGuard for every POST and every WebSocket handshake.
 */
@Module({
  imports: [
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
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
        // A refusal keeps its HTTP status (401, 403, 413, 503, from `extensions.http`) instead of
        // @nestjs/apollo's reset to 200, so proxies, logs and clients see it.
        preserveHttpStatusForExecutionErrors: false,
        // GraphiQL at GET /graphql for developers, never in production: it runs an inline script
        // and React from a CDN, which the sample's Content-Security-Policy allows only on that page
        // and only outside production (web/security-headers.ts).
        graphiql: !production,
      }),
    }),
    UsersModule,
  ],
  providers: [AuthResolver, TicksResolver],
})
export class SampleGraphqlModule {}
