import type { Socket } from 'node:net';

/** The close code a connection of an ended session gets (graphql-ws's "Unauthorized"). */
export const SESSION_ENDED_CLOSE_CODE = 4401;
/** The close reason that goes with it. */
export const SESSION_ENDED_CLOSE_REASON = 'Session ended';

// Time the client has to answer the close frame before the socket is destroyed.
const CLOSE_TIMEOUT_MS = 1000;

/**
 * @internal The open WebSocket connections of each logged-in session on this instance, by session
 * handle, whatever library serves them (socket.io, ws, graphql-ws all speak RFC 6455 over the
 * upgraded socket). When a session ends — logout, revocation, expiry, on any instance — each of
 * its connections gets a close frame (4401 "Session ended") and its socket is closed.
 */
export class LiveConnections {
  private readonly bySession = new Map<string, Set<Socket>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /**
   * @param deadlineOf when a session ends by itself if nothing renews it, read again from the
   *   store (HTTP activity may have renewed it); `undefined` once it has ended.
   */
  constructor(private readonly deadlineOf: (handle: string) => Promise<number | undefined>) {}

  /** Follows a connection of a session that ends by itself at `expiresAt` unless renewed. */
  add(handle: string, socket: Socket, expiresAt: number): void {
    if (socket.destroyed) return;
    let sockets = this.bySession.get(handle);
    if (!sockets) this.bySession.set(handle, (sockets = new Set()));
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size > 0 || this.bySession.get(handle) !== sockets) return;
      this.bySession.delete(handle);
      clearTimeout(this.timers.get(handle));
      this.timers.delete(handle);
    });
    if (!this.timers.has(handle)) this.expireAt(handle, expiresAt);
  }

  /**
   * Reads every followed session again now (announcements of its end may have been missed): an
   * ended one's connections close, a live one is followed to its deadline.
   */
  recheckAll(): void {
    for (const handle of this.bySession.keys()) this.expireAt(handle, Date.now());
  }

  /** How many connections a session has open here. */
  count(handle: string): number {
    return this.bySession.get(handle)?.size ?? 0;
  }

  close(handle: string): void {
    clearTimeout(this.timers.get(handle));
    this.timers.delete(handle);
    const sockets = this.bySession.get(handle);
    if (!sockets) return;
    this.bySession.delete(handle);
    for (const socket of sockets) {
      if (socket.destroyed) continue;
      socket.write(closeFrame(SESSION_ENDED_CLOSE_CODE, SESSION_ENDED_CLOSE_REASON));
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS).unref();
    }
  }

  // At the deadline the session is read again: renewed meanwhile, it is followed to its new
  // deadline; ended (reading it ends an expired one, which announces it), its connections close.
  // A deadline only moves later (revocations are announced), so a far one needs no read on the
  // way; and a session whose connections all closed during a read is not followed any more.
  private expireAt(handle: string, expiresAt: number): void {
    clearTimeout(this.timers.get(handle));
    this.timers.delete(handle);
    if (!this.bySession.has(handle)) return;
    const delay = Math.max(0, expiresAt - Date.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(handle);
        if (delay > MAX_TIMER_DELAY_MS) return this.expireAt(handle, expiresAt);
        this.deadlineOf(handle).then(
          (next) => (next === undefined ? this.close(handle) : this.expireAt(handle, next)),
          () => this.expireAt(handle, Date.now() + RETRY_MS), // store down: try again soon
        );
      },
      Math.min(delay, MAX_TIMER_DELAY_MS),
    );
    timer.unref();
    this.timers.set(handle, timer);
  }
}

const RETRY_MS = 1000;
// Node runs a longer delay after 1 ms (with a TimeoutOverflowWarning), so a deadline further away
// than this is reached in several steps.
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

// An unmasked RFC 6455 close frame (a server's), with a code and a short reason.
function closeFrame(code: number, reason: string): Buffer {
  const payload = Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]);
  return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
}
