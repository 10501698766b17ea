import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStore } from '../stores/session-store.interface.js';
import { describeAnnouncements } from './announcements.contract.js';
import { LONG_TTL_MS, newKey, type StoresUnderTest } from './contract-fixtures.js';
import { describeRecords } from './records.contract.js';
import { describeRevocation } from './revocation.contract.js';
import { describeUserIndex } from './user-index.contract.js';

/** How `describeSessionStoreContract` opens the store under test. */
export interface SessionStoreContractSetup {
  /**
   * Opens a store on the database under test: one for most tests, another for the test of
   * `close()`. The suite closes every store it opens. Its handles and user keys are random, so
   * the database may hold other data.
   */
  create(): Promise<SessionStore> | SessionStore;
  /**
   * Opens a second store on `first`'s database, as another instance of the app would: the suite
   * then writes on one and reads, revokes and listens on the other. Leave it out for a store that
   * is not shared between processes (the memory store): each test then runs on one instance.
   */
  peer?(first: SessionStore): Promise<SessionStore> | SessionStore;
  /**
   * How long an announcement may take to reach a listener, in ms. Default 1000 (the module
   * promises that a session's connections close within a second on every instance).
   */
  announcementMs?: number;
}

// Every test is short; this bounds one that hangs on a store that never answers.
const TEST_TIMEOUT_MS = 20_000;
// Opening a store may wait for its database to start.
const OPEN_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Registers, with Vitest, the tests a `SessionStore` must pass to be given as the module's
 * `store`: one per promise of the interface, with real TTLs of 25 to 100 ms (about a second in
 * all on a local database). Call it at the top level of a spec file, once per store under test.
 */
export function describeSessionStoreContract(name: string, setup: SessionStoreContractSetup): void {
  describe(`${name}: the SessionStore contract`, { timeout: TEST_TIMEOUT_MS }, () => {
    const opened: SessionStore[] = [];
    const open = async (opening: () => Promise<SessionStore> | SessionStore) => {
      const store = await opening();
      opened.push(store);
      return store;
    };
    const stores = { shared: setup.peer !== undefined } as StoresUnderTest;

    beforeAll(async () => {
      stores.store = await open(() => setup.create());
      stores.other = setup.peer ? await open(() => setup.peer!(stores.store)) : stores.store;
    }, OPEN_TIMEOUT_MS);
    afterAll(async () => {
      await Promise.all(opened.map((store) => store.close()));
    }, TEST_TIMEOUT_MS);

    describeRecords(stores);
    describeRevocation(stores);
    describeUserIndex(stores);
    describeAnnouncements(stores, setup.announcementMs ?? 1000);

    describe('lifecycle', () => {
      it('names its kind, for health checks and log lines', () => {
        expect(typeof stores.store.kind).toBe('string');
        expect(stores.store.kind.length).toBeGreaterThan(0);
      });

      it('says it is reachable while its database answers', async () => {
        expect(await stores.store.isReachable()).toBe(true);
        expect(await stores.other.isReachable()).toBe(true);
      });

      it('closes when the app shuts down, and a second close() resolves too', async () => {
        const store = await setup.create();
        await store.onEnded(() => undefined);
        const handle = newKey();
        expect(await store.writeUnlessRevoked(handle, randomBytes(16), LONG_TTL_MS)).toBe(true);
        expect(await store.read(handle)).not.toBeNull();
        expect(await settles(store.close()), 'close()').toBe('resolved');
        expect(await settles(store.close()), 'close() again').toBe('resolved');
      });
    });
  });
}

/** How `promise` settles, or 'pending' when it has not within CLOSE_TIMEOUT_MS. */
async function settles(promise: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<string>((resolve) => {
    timer = setTimeout(resolve, CLOSE_TIMEOUT_MS, `still pending after ${CLOSE_TIMEOUT_MS} ms`);
  });
  const outcome = promise.then(
    () => 'resolved',
    (err: unknown) => `rejected: ${err instanceof Error ? err.message : String(err)}`,
  );
  try {
    return await Promise.race([outcome, pending]);
  } finally {
    clearTimeout(timer);
  }
}
