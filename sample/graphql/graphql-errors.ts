import { Catch, HttpException } from '@nestjs/common';
import type { GqlExceptionFilter } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';

// The codes @nestjs/apollo gives HttpExceptions over HTTP (its formatError), which graphql-ws,
// running the subscriptions, and Mercurius (on Fastify) do not apply.
const CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  422: 'BAD_USER_INPUT',
};

/**
 * The code an HttpException names for itself in its body (`ReauthenticationRequiredException`'s
 * `REAUTHENTICATION_REQUIRED`, `CsrfTokenException`'s `CSRF_TOKEN_INVALID`), which is more
 * precise than its status's.
 */
export function ownCodeOf(error: unknown): string | undefined {
  if (!(error instanceof HttpException)) return undefined;
  const response = error.getResponse();
  const code = typeof response === 'object' ? (response as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * An HttpException as a GraphQLError with `extensions.code`, its own or its status's; any other
 * error unchanged.
 */
export function asGraphqlError(error: unknown): unknown {
  if (!(error instanceof HttpException)) return error;
  const status = error.getStatus();
  const code = ownCodeOf(error) ?? CODES[status];
  return new GraphQLError(error.message, {
    extensions: code ? { code } : { code: 'INTERNAL_SERVER_ERROR', status },
  });
}

/**
 * Gives a subscription's refusal (a guard's 401 when it starts) the same `extensions.code` as a
 * query's, so clients read `UNAUTHENTICATED` whatever the transport.
 */
@Catch(HttpException)
export class GraphqlHttpExceptionFilter implements GqlExceptionFilter<HttpException, unknown> {
  catch(exception: HttpException): unknown {
    return asGraphqlError(exception);
  }
}

/**
 * An error of a GraphQL answer over HTTP as @nestjs/apollo gives it: an HttpException's code (as
 * `asGraphqlError` gives it) and its response as `extensions.originalError`, and no
 * `extensions.http`, which is the answer's status, not part of its body.
 */
export function withHttpCode(error: GraphQLError): GraphQLError {
  const exception = error.originalError;
  const { http: _status, ...extensions }: Record<string, unknown> = {
    ...error.extensions,
    ...(exception instanceof HttpException && {
      ...(asGraphqlError(exception) as GraphQLError).extensions,
      originalError: exception.getResponse(),
    }),
  };
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: exception,
    extensions,
  });
}
