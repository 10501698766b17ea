import { describeSessionStoreContract } from '../../lib/testing.js';
import { BROKEN_STORES } from './broken-map-stores.js';
import { MapDatabase } from './map-session.store.js';

// Run by store-contract.spec.ts in a Vitest of its own (broken-stores.vitest.config.ts): every
// suite here must fail, in the tests BROKEN_STORES names.
for (const { name, Store } of BROKEN_STORES) {
  const db = new MapDatabase();
  describeSessionStoreContract(name, { create: () => new Store(db), peer: () => new Store(db) });
}
