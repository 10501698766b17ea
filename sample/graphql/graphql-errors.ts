import { Catch, HttpException } from '@nestjs/common';
import type { GqlExceptionFilter } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';

// The codes @nestjs/apollo gives HttpExceptions over HTTP (its formatError), which graphql-ws,
// running the subscriptions, does not apply.
const CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  422: 'BAD_USER_INPUT',
};

/** An HttpException as a GraphQLError with `extensions.code`; any other error unchanged. */
export function asGraphqlError(error: unknown): unknown {
  if (!(error instanceof HttpException)) return error;
  const status = error.getStatus();
  return new GraphQLError(error.message, {
    extensions: CODES[status] ? { code: CODES[status] } : { code: 'INTERNAL_SERVER_ERROR', status },
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
