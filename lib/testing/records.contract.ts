import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  expectLastsItsTtl,
  expectRecord,
  LONG_TTL_MS,
  newKey,
  PAST_SHORT_TTL_MS,
  SHORT_TTL_MS,
  sleep,
  timed,
  type StoresUnderTest,
} from './contract-fixtures.js';

/** @internal `read` and `writeUnlessRevoked`: bytes under a handle, for a TTL. */
export function describeRecords(stores: StoresUnderTest): void {
  describe('records', () => {
    it('reads back the exact bytes it wrote, as a Buffer, on every instance sharing the store', async () => {
      const { store, other } = stores;
      const handle = newKey();
      const record = randomBytes(200);
      expect(await store.writeUnlessRevoked(handle, record, LONG_TTL_MS)).toBe(true);
      expectRecord(await store.read(handle), record, 'the instance that wrote');
      expectRecord(await other.read(handle), record, 'another instance');
    });

    it('reads null for a handle that was never written', async () => {
      expect(await stores.store.read(newKey())).toBeNull();
      expect(await stores.other.read(newKey())).toBeNull();
    });

    it('replaces a record written again: the new bytes, with the new TTL, shorter or longer', async () => {
      const { store, other } = stores;
      const [shortened, lengthened] = [newKey(), newKey()];
      const [first, second] = [randomBytes(32), randomBytes(48)];
      expect(await store.writeUnlessRevoked(shortened, first, LONG_TTL_MS)).toBe(true);
      expect(await other.writeUnlessRevoked(shortened, second, SHORT_TTL_MS)).toBe(true);
      expect(await store.writeUnlessRevoked(lengthened, first, SHORT_TTL_MS)).toBe(true);
      expect(await other.writeUnlessRevoked(lengthened, second, LONG_TTL_MS)).toBe(true);
      expectRecord(await store.read(shortened), second, 'overwritten');
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.read(shortened), 'written again with a shorter TTL').toBeNull();
      expectRecord(await store.read(lengthened), second, 'written again with a longer TTL');
    });

    it('serves a record until its TTL has passed, and never after', async () => {
      const { store, other } = stores;
      const handle = newKey();
      const record = randomBytes(16);
      const written = await timed(() => store.writeUnlessRevoked(handle, record, SHORT_TTL_MS));
      expect(written.value).toBe(true);
      await expectLastsItsTtl(
        SHORT_TTL_MS,
        written,
        () => other.read(handle),
        (read) => read !== null && read.equals(record),
        'the record',
      );
    });

    it('keeps every byte value, 0x00 to 0xff, unchanged (records are encrypted bytes, not text)', async () => {
      const { store, other } = stores;
      const handle = newKey();
      const bytes = Array.from({ length: 256 }, (_, i) => i);
      // Every value, then every value backwards: no byte (a NUL, an invalid UTF-8 lead, a
      // separator) ends, shortens or changes the record, wherever it stands.
      const record = Buffer.from([...bytes, ...[...bytes].reverse()]);
      expect(await store.writeUnlessRevoked(handle, record, LONG_TTL_MS)).toBe(true);
      expectRecord(await store.read(handle), record, 'the instance that wrote');
      expectRecord(await other.read(handle), record, 'another instance');
    });

    it('stores a record of 1 MB', async () => {
      const { store, other } = stores;
      const handle = newKey();
      const record = randomBytes(1024 * 1024);
      expect(await store.writeUnlessRevoked(handle, record, LONG_TTL_MS)).toBe(true);
      expectRecord(await other.read(handle), record, 'a 1 MB record');
    });
  });
}
