import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * @internal The client of the request being handled, for events raised deep in the store
 * (a replayed or unknown session ID), so an app can rate-limit per client on them.
 */
export const requestContext = new AsyncLocalStorage<{ ip?: string }>();
