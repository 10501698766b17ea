import { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveConnections } from '../../lib/engine/live-connections.js';

const DAY = 24 * 60 * 60 * 1000;

// A session's store, as the connections see it: each read answers when the test says.
function slowStore() {
  const answers: ((deadline: number | undefined) => void)[] = [];
  const deadlineOf = vi.fn(
    (_handle: string) => new Promise<number | undefined>((resolve) => answers.push(resolve)),
  );
  return { deadlineOf, answer: (deadline: number | undefined) => answers.shift()!(deadline) };
}

describe('the live connections of a session', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reads the store of a session 30 days from its deadline only when the deadline comes', async () => {
    const store = slowStore();
    const live = new LiveConnections(store.deadlineOf);
    live.add('h', new Socket(), Date.now() + 30 * DAY);
    await vi.advanceTimersByTimeAsync(30 * DAY - 1000);
    expect(store.deadlineOf).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.deadlineOf).toHaveBeenCalledTimes(1);
  });

  it('reads nothing more for a session whose last connection closed while its deadline was read', async () => {
    const store = slowStore();
    const live = new LiveConnections(store.deadlineOf);
    const socket = new Socket();
    live.add('h', socket, Date.now() + 1000);
    await vi.advanceTimersByTimeAsync(1000);
    socket.emit('close', false);
    store.answer(Date.now() + 1000); // renewed meanwhile
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.deadlineOf).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('follows a session with one timer when a connection opens while its deadline is read', async () => {
    const store = slowStore();
    const live = new LiveConnections(store.deadlineOf);
    const first = new Socket();
    live.add('h', first, Date.now() + 1000);
    await vi.advanceTimersByTimeAsync(1000);
    first.emit('close', false);
    live.add('h', new Socket(), Date.now() + 1000);
    store.answer(Date.now() + 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.deadlineOf).toHaveBeenCalledTimes(2);
  });
});
