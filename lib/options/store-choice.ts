import type { SessionModuleOptions } from '../session-module-options.interface.js';
import { isPlainObject, isSet } from './option-values.js';

const STORE_CHOICES = ['store', 'redis', 'postgres'] as const;

/**
 * @internal What is wrong with the choice of store: at most one of `store`, `redis` and
 * `postgres`; `postgres` with exactly one of `url` and `pool`; a migration only from the store it
 * reads from.
 */
export function storeChoiceProblems(options: SessionModuleOptions): string[] {
  const problems: string[] = [];
  if (isPlainObject(options.postgres)) {
    const targets = (['url', 'pool'] as const).filter((key) => isSet(options.postgres![key]));
    if (targets.length !== 1) {
      problems.push(
        targets.length === 2
          ? '`postgres.url` and `postgres.pool` are both set: give one of them'
          : '`postgres` is set but has neither `url` nor `pool`: give one, or leave `postgres` out for the memory store',
      );
    }
  }
  const stores = STORE_CHOICES.filter((key) => isSet(options[key]));
  if (stores.length > 1) {
    const names = stores.map((key) => `\`${key}\``).join(' and ');
    problems.push(`${names} are ${stores.length === 2 ? 'both' : 'all'} set: give one store`);
  }
  const migration = isPlainObject(options.migration) ? options.migration : {};
  if (isSet(migration.connectRedisPrefix) && !isSet(options.redis)) {
    problems.push(
      '`migration.connectRedisPrefix` reads connect-redis sessions from the `redis` store, which is not set',
    );
  }
  if (isSet(migration.connectPgSimpleTable) && !isSet(options.postgres)) {
    problems.push(
      '`migration.connectPgSimpleTable` reads connect-pg-simple sessions from the `postgres` store, which is not set',
    );
  }
  return problems;
}
