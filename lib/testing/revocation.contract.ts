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

const RACE_ROUNDS = 20;
const WRITES_PER_SIDE = 10;

/** @internal `revoke`, `isRevoked` and the tombstone that refuses `writeUnlessRevoked`. */
export function describeRevocation(stores: StoresUnderTest): void {
  describe('revocation', () => {
    it('refuses to write a session back once it was revoked, on every instance, and keeps it gone', async () => {
      const { store, other } = stores;
      const handle = newKey();
      expect(await store.writeUnlessRevoked(handle, randomBytes(16), LONG_TTL_MS)).toBe(true);
      expect(await store.revoke(handle, LONG_TTL_MS)).toBe(true);
      expect(await other.writeUnlessRevoked(handle, randomBytes(16), LONG_TTL_MS)).toBe(false);
      expect(await store.writeUnlessRevoked(handle, randomBytes(16), LONG_TTL_MS)).toBe(false);
      expect(await store.read(handle)).toBeNull();
      expect(await other.read(handle)).toBeNull();
    });

    it('refuses to write a session that was revoked before it was ever written', async () => {
      const { store, other } = stores;
      const handle = newKey();
      expect(await store.revoke(handle, LONG_TTL_MS)).toBe(false);
      expect(await other.writeUnlessRevoked(handle, randomBytes(16), LONG_TTL_MS)).toBe(false);
      expect(await other.read(handle)).toBeNull();
    });

    it(`never lets writes racing a revocation bring the session back (${RACE_ROUNDS} rounds)`, async () => {
      const { store, other } = stores;
      const writers = [other, store];
      const writes = (handle: string) =>
        Array.from({ length: WRITES_PER_SIDE }, (_, i) =>
          writers[i % 2]!.writeUnlessRevoked(handle, randomBytes(32), LONG_TTL_MS),
        );
      for (let round = 1; round <= RACE_ROUNDS; round++) {
        const handle = newKey();
        expect(await other.writeUnlessRevoked(handle, randomBytes(32), LONG_TTL_MS)).toBe(true);
        // Writes sent before, with and after the revocation, none of them awaited: requests in
        // flight on this instance and another while the user logs out.
        const racing = writes(handle);
        const revoked = store.revoke(handle, LONG_TTL_MS);
        racing.push(...writes(handle));
        expect(await revoked, `round ${round}: the record existed`).toBe(true);
        const after = await Promise.all(writes(handle));
        await Promise.all(racing);
        expect(after, `round ${round}: writes sent once revoke() resolved`).not.toContain(true);
        expect(await store.read(handle), `round ${round}: read after the race`).toBeNull();
        expect(await other.read(handle), `round ${round}: read on another instance`).toBeNull();
        expect(await other.isRevoked(handle), `round ${round}: revoked`).toBe(true);
      }
    });

    it('answers whether revoking found a live record: yes the first time; no again, for an unknown handle or an expired record', async () => {
      const { store, other } = stores;
      const [live, unknown, expired] = [newKey(), newKey(), newKey()];
      expect(await store.writeUnlessRevoked(live, randomBytes(16), LONG_TTL_MS)).toBe(true);
      expect(await store.writeUnlessRevoked(expired, randomBytes(16), SHORT_TTL_MS / 4)).toBe(true);
      expect(await other.revoke(live, LONG_TTL_MS), 'a live record').toBe(true);
      expect(await store.revoke(live, LONG_TTL_MS), 'revoked again').toBe(false);
      expect(await store.revoke(unknown, LONG_TTL_MS), 'never written').toBe(false);
      await sleep(SHORT_TTL_MS / 2);
      expect(await other.revoke(expired, LONG_TTL_MS), 'past its TTL').toBe(false);
    });

    it('says a session is revoked while its tombstone lasts, and not before it was revoked or after', async () => {
      const { store, other } = stores;
      const handle = newKey();
      expect(await other.isRevoked(handle), 'never written').toBe(false);
      expect(await store.writeUnlessRevoked(handle, randomBytes(16), LONG_TTL_MS)).toBe(true);
      expect(await other.isRevoked(handle), 'written, not revoked').toBe(false);
      const revoked = await timed(() => store.revoke(handle, SHORT_TTL_MS));
      await expectLastsItsTtl(
        SHORT_TTL_MS,
        revoked,
        () => other.isRevoked(handle),
        (isRevoked) => isRevoked,
        'the tombstone',
      );
    });

    it("accepts writes again once the tombstone's TTL has passed", async () => {
      const { store, other } = stores;
      const handle = newKey();
      const record = randomBytes(16);
      expect(await store.revoke(handle, SHORT_TTL_MS)).toBe(false);
      expect(await other.writeUnlessRevoked(handle, record, LONG_TTL_MS)).toBe(false);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await other.writeUnlessRevoked(handle, record, LONG_TTL_MS)).toBe(true);
      expectRecord(await store.read(handle), record, 'written after the tombstone');
      expect(await store.isRevoked(handle)).toBe(false);
    });
  });
}
