import type { SessionStore } from './session-store.interface.js';

/** @internal The methods every SessionStore has, as the `store` option is checked for them. */
export const STORE_METHODS = [
  'read',
  'isRevoked',
  'writeUnlessRevoked',
  'revoke',
  'indexAdd',
  'indexPage',
  'indexRemove',
  'announceEnded',
  'onEnded',
  'isReachable',
  'close',
] as const;
/** @internal Whether a value has the shape of a SessionStore: a `kind` and every method. */
export const isSessionStore = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as SessionStore).kind === 'string' &&
  STORE_METHODS.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');
