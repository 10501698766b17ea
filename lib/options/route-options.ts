import { RequestMethod } from '@nestjs/common';
import { match } from 'path-to-regexp';
import { errorMessage } from '../session.errors.js';

/**
 * @internal What is wrong with a `forRoutes`/`exclude` entry: it must be a path pattern Nest would
 * take (`'health'`, `'auth/{*path}'`) or `{ path, method }`.
 */
export function routeProblems(route: unknown, label: string): string[] {
  const path = typeof route === 'string' ? route : (route as { path?: unknown } | null)?.path;
  const method =
    typeof route === 'string' ? RequestMethod.ALL : (route as { method?: unknown })?.method;
  if (
    typeof path !== 'string' ||
    typeof method !== 'number' ||
    RequestMethod[method] === undefined
  ) {
    return [
      `\`${label}\` = ${route !== null && typeof route === 'object' ? 'an object' : String(route)}: give a path pattern ('health', 'auth/{*path}') or { path, method: RequestMethod.X }`,
    ];
  }
  try {
    match(path.startsWith('/') ? path : `/${path}`);
    return [];
  } catch (err) {
    return [`\`${label}\` = '${path}' is not a valid path pattern: ${errorMessage(err)}`];
  }
}
