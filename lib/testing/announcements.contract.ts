import { beforeAll, describe, expect, it } from 'vitest';
import type { SessionStore } from '../stores/session-store.interface.js';
import { newKey, sleep, type StoresUnderTest } from './contract-fixtures.js';

// After the last expected handle, how long to go on listening for one heard twice.
const SETTLE_MS = 50;

/** @internal `announceEnded` and `onEnded`: every instance hears of the sessions that end. */
export function describeAnnouncements(stores: StoresUnderTest, withinMs: number): void {
  describe('announcements', () => {
    // One listener per instance, as the module subscribes once; each test starts them empty.
    const heard = new Map<SessionStore, string[]>();
    beforeAll(async () => {
      for (const store of new Set([stores.store, stores.other])) {
        const handles: string[] = [];
        heard.set(store, handles);
        await store.onEnded((handle) => handles.push(handle));
      }
    });

    /** What `listener` hears from now on, once it has heard `count` handles or waited too long. */
    function listen(listener: SessionStore) {
      const handles = heard.get(listener)!;
      handles.length = 0;
      return async (count: number): Promise<string[]> => {
        const deadline = Date.now() + withinMs;
        while (handles.length < count && Date.now() < deadline) await sleep(5);
        await sleep(SETTLE_MS);
        return [...handles].sort();
      };
    }

    it('tells its own listener that a session ended', async () => {
      const handle = newKey();
      const heardBySelf = listen(stores.store);
      await stores.store.announceEnded([handle]);
      expect(await heardBySelf(1)).toEqual([handle]);
    });

    it.skipIf(!stores.shared)(
      'tells the listeners of every instance sharing the store that sessions ended',
      async () => {
        const handles = [newKey(), newKey()].sort();
        const heardByOther = listen(stores.other);
        const heardBySelf = listen(stores.store);
        await stores.store.announceEnded(handles);
        expect(await heardByOther(2), 'another instance').toEqual(handles);
        expect(await heardBySelf(2), 'the instance that announced').toEqual(handles);
      },
    );

    it('delivers an announcement of 1,000 ended sessions whole: every handle, once', async () => {
      const handles = Array.from({ length: 1000 }, newKey).sort();
      const heardByOther = listen(stores.other);
      await stores.store.announceEnded(handles);
      const got = await heardByOther(handles.length);
      expect(got.length, 'handles heard').toBe(handles.length);
      expect(got).toEqual(handles);
    });
  });
}
