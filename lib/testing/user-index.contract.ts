import { describe, expect, it } from 'vitest';
import type { IndexEntry } from '../stores/session-store.interface.js';
import {
  LONG_TTL_MS,
  newKey,
  PAST_SHORT_TTL_MS,
  SHORT_TTL_MS,
  sleep,
  type StoresUnderTest,
} from './contract-fixtures.js';

/** @internal `indexAdd`, `indexPage` and `indexRemove`: each user's sessions, oldest first. */
export function describeUserIndex(stores: StoresUnderTest): void {
  // Entries are stamped like the module's (epoch ms, now); nothing is stale unless a test says so.
  const now = Date.now();
  const NOTHING_STALE = now - LONG_TTL_MS;
  const entry = (handle: string, after: number): IndexEntry => ({ handle, addedAt: now + after });
  const page = (userKey: string, offset = 0, count = 1000) =>
    stores.other.indexPage(userKey, offset, count);
  const add = (userKey: string, added: IndexEntry, staleBefore = NOTHING_STALE) =>
    stores.store.indexAdd(userKey, added, staleBefore, LONG_TTL_MS);

  describe("a user's index", () => {
    it("lists a user's sessions oldest first by when each was added, whatever the order they came in, and says how many it holds", async () => {
      const user = newKey();
      const [a, b, c, d] = [
        entry(newKey(), 20),
        entry(newKey(), 40),
        entry(newKey(), 60),
        entry(newKey(), 10),
      ];
      expect(await add(user, a)).toBe(1);
      expect(await add(user, c)).toBe(2);
      expect(await add(user, b)).toBe(3);
      expect(await add(user, d)).toBe(4);
      expect(await page(user)).toEqual([d, a, b, c]);
    });

    it('moves a session added again to its new place, and counts it once', async () => {
      const user = newKey();
      const [a, b, c] = [entry(newKey(), 10), entry(newKey(), 20), entry(newKey(), 30)];
      for (const added of [a, b, c]) await add(user, added);
      const again = { handle: a.handle, addedAt: now + 40 };
      expect(await add(user, again)).toBe(3);
      expect(await page(user)).toEqual([b, c, again]);
    });

    it('drops the entries added before staleBefore as it adds one, keeping one added exactly then', async () => {
      const user = newKey();
      const [a, b, c] = [entry(newKey(), 10), entry(newKey(), 20), entry(newKey(), 30)];
      for (const added of [a, b, c]) await add(user, added);
      const d = entry(newKey(), 40);
      expect(await add(user, d, b.addedAt)).toBe(3);
      expect(await page(user)).toEqual([b, c, d]);
    });

    it("pages through a user's index: at most `count` entries from position `offset`", async () => {
      const user = newKey();
      const entries = Array.from({ length: 25 }, (_, i) => entry(newKey(), i));
      for (const added of entries) await add(user, added);
      const pages = [await page(user, 0, 10), await page(user, 10, 10), await page(user, 20, 10)];
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(entries);
      expect(await page(user, 3, 4)).toEqual(entries.slice(3, 7));
      expect(await page(user, 24, 1)).toEqual(entries.slice(24));
      expect(await page(user, 25, 10), 'a page past the end').toEqual([]);
      expect(await page(newKey(), 0, 10), 'a user with no index').toEqual([]);
    });

    it('gives no entries for a page of count 0', async () => {
      const user = newKey();
      for (const after of [1, 2, 3]) await add(user, entry(newKey(), after));
      expect(await page(user, 0, 0)).toEqual([]);
      expect(await page(user, 1, 0)).toEqual([]);
    });

    it("removes sessions from a user's index, ignoring handles it does not hold", async () => {
      const user = newKey();
      const [a, b, c] = [entry(newKey(), 10), entry(newKey(), 20), entry(newKey(), 30)];
      for (const added of [a, b, c]) await add(user, added);
      await stores.other.indexRemove(user, [b.handle, newKey()]);
      expect(await page(user)).toEqual([a, c]);
      await stores.store.indexRemove(user, [newKey()]);
      await stores.store.indexRemove(newKey(), [a.handle]);
      expect(await page(user)).toEqual([a, c]);
      await stores.store.indexRemove(user, [c.handle, a.handle]);
      expect(await page(user)).toEqual([]);
    });

    it("keeps each user's index apart", async () => {
      const [alice, bob] = [newKey(), newKey()];
      const [a1, a2, b1] = [entry(newKey(), 10), entry(newKey(), 20), entry(newKey(), 30)];
      await add(alice, a1);
      await add(alice, a2);
      // Bob's addition drops everything of his before now + 30 ms: nothing of Alice's.
      expect(await add(bob, b1, b1.addedAt)).toBe(1);
      await stores.store.indexRemove(bob, [a1.handle]);
      expect(await page(alice)).toEqual([a1, a2]);
      expect(await page(bob)).toEqual([b1]);
      await stores.store.indexRemove(alice, [b1.handle, a2.handle]);
      expect(await page(bob)).toEqual([b1]);
    });

    it("keeps a session in its user's index at least as long as the TTL it was added with, whatever TTL comes later", async () => {
      const { store } = stores;
      const [shortLater, longLater] = [newKey(), newKey()];
      const [long, short] = [entry(newKey(), 10), entry(newKey(), 20)];
      const [earlyShort, lateLong] = [entry(newKey(), 10), entry(newKey(), 20)];
      // Whether an entry outlives its own TTL while the index lasts (Redis: one TTL for the whole
      // index, never shortened) or not (PostgreSQL: a deadline per entry) is the store's choice.
      await store.indexAdd(shortLater, long, NOTHING_STALE, LONG_TTL_MS);
      await store.indexAdd(shortLater, short, NOTHING_STALE, SHORT_TTL_MS / 4);
      await store.indexAdd(longLater, earlyShort, NOTHING_STALE, SHORT_TTL_MS / 4);
      await store.indexAdd(longLater, lateLong, NOTHING_STALE, LONG_TTL_MS);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await page(shortLater), 'a shorter TTL given later').toContainEqual(long);
      expect(await page(longLater), 'a longer TTL given later').toContainEqual(lateLong);
    });
  });
}
