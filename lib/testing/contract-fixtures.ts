import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { SessionStore } from '../stores/session-store.interface.js';

export { sleep };

/**
 * @internal The stores a contract test runs on: `store`, and `other`, a second instance on the
 * same database (the same object when the setup gives none). Filled in before the tests run.
 */
export interface StoresUnderTest {
  store: SessionStore;
  other: SessionStore;
  /** Whether `other` is a second instance (the setup gave `peer`). */
  shared: boolean;
}

/**
 * @internal The TTL the suite gives where it waits for one to pass: long enough that a store on
 * a local database answers well within it, short enough that the suite stays quick.
 */
export const SHORT_TTL_MS = 100;
/** @internal Long enough to see a TTL pass: the shortest TTL a test waits out, and some. */
export const PAST_SHORT_TTL_MS = SHORT_TTL_MS * 1.5;
/** @internal A TTL no test outlives. */
export const LONG_TTL_MS = 60_000;
// A database's clock and this process's may round a millisecond differently.
const CLOCK_SLACK_MS = 5;
const PROBE_EVERY_MS = 5;
const PROBES_PAST_TTL = 3;

/** @internal A fresh handle or user key, shaped as the module's (22 base64url characters). */
export function newKey(): string {
  return randomBytes(16).toString('base64url');
}

/** @internal Record bytes as hex, so a failed comparison shows where they differ. */
export function hex(record: Buffer | null): string | null {
  return record === null ? null : Buffer.from(record).toString('hex');
}

/** @internal Checks that `read` gives back exactly `record`, as a Buffer. */
export function expectRecord(read: Buffer | null, record: Buffer, where: string): void {
  expect(Buffer.isBuffer(read), `${where}: read() resolves a Buffer`).toBe(true);
  expect(read!.length, `${where}: length`).toBe(record.length);
  expect(hex(read), `${where}: bytes`).toBe(hex(record));
}

interface Probe<T> {
  start: number;
  end: number;
  value: T;
}

/**
 * @internal Checks a promise that lasts a TTL: `probe` is called over and over from the moment
 * the TTL was set (`setAt`: when that call started and when it resolved) until past it. Every
 * probe that ended before the TTL can have run out must see `alive`; every one that started after
 * it must have run out, whenever the store started counting, must not.
 */
export async function expectLastsItsTtl<T>(
  ttlMs: number,
  setAt: { start: number; end: number },
  probe: () => Promise<T>,
  alive: (value: T) => boolean,
  what: string,
): Promise<void> {
  const probes: Probe<T>[] = [];
  const over = setAt.end + ttlMs + CLOCK_SLACK_MS;
  // Until a few probes have started past the TTL, however late a busy event loop wakes up.
  while (probes.filter((p) => p.start > over).length < PROBES_PAST_TTL) {
    const start = Date.now();
    const value = await probe();
    probes.push({ start, end: Date.now(), value });
    await sleep(PROBE_EVERY_MS);
  }
  const within = probes.filter((p) => p.end < setAt.start + ttlMs - CLOCK_SLACK_MS);
  const past = probes.filter((p) => p.start > over);
  expect(within.length, `${what}: the store answered within the ${ttlMs} ms TTL`).toBeGreaterThan(
    0,
  );
  const since = (p: Probe<T>) => `${p.start - setAt.start}–${p.end - setAt.start} ms`;
  expect(
    within.filter((p) => !alive(p.value)).map(since),
    `${what}: gone before its ${ttlMs} ms TTL, at`,
  ).toEqual([]);
  expect(
    past.filter((p) => alive(p.value)).map(since),
    `${what}: still there after its ${ttlMs} ms TTL, at`,
  ).toEqual([]);
}

/** @internal Runs `operation`, noting when it started and when it resolved. */
export async function timed<T>(
  operation: () => Promise<T>,
): Promise<{ value: T; start: number; end: number }> {
  const start = Date.now();
  const value = await operation();
  return { value, start, end: Date.now() };
}
