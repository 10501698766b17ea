import type { DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyRequest } from 'fastify';
import type { ExecutionResult } from 'graphql';
import mercurius, { type MercuriusContext } from 'mercurius';
import type { SampleConfig } from '../config/sample-config.js';
import { SAMPLE_CONFIG } from '../config/sample-config.module.js';
import { withHttpCode } from './graphql-errors.js';

type FailedExecution = ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>;

/**
 * The sample's GraphQL server on Fastify: Mercurius, the driver NestJS documents for Fastify.
 * Queries and mutations over HTTP, subscriptions over WebSocket (graphql-ws's protocol) at the
 * same /graphql, GraphiQL at GET /graphiql outside production.
 */
export function mercuriusGraphqlModule(): DynamicModule {
  return GraphQLModule.forRootAsync<MercuriusDriverConfig>({
    driver: MercuriusDriver,
    inject: [SAMPLE_CONFIG],
    useFactory: ({ production }: SampleConfig) => ({
      autoSchemaFile: true,
      // Over HTTP the driver puts the FastifyRequest (with its session) in `req`; a subscription
      // gets the request that opened its WebSocket, which carries the cookie.
      subscription: { context: (_socket: unknown, request: FastifyRequest) => ({ req: request }) },
      errorFormatter,
      // As on Express: GraphiQL for developers only (its CDN script is allowed only on that page,
      // web/security-headers.ts).
      graphiql: !production,
    }),
  });
}

/**
 * The answer to a request with errors, as @nestjs/apollo gives it on Express: an HttpException's
 * `extensions.code` (UNAUTHENTICATED, FORBIDDEN...), and a refusal's status (`extensions.http`,
 * lib/session.errors.ts) as the HTTP status rather than in the body.
 */
function errorFormatter(execution: FailedExecution, context: MercuriusContext) {
  const status = execution.errors
    .map((error) => (error.extensions.http as { status?: number } | undefined)?.status)
    .find((code) => code !== undefined);
  const errors = execution.errors.map(withHttpCode);
  const formatted = mercurius.defaultErrorFormatter({ ...execution, errors }, context);
  return { statusCode: status ?? formatted.statusCode, response: formatted.response };
}
