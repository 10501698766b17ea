/** @internal A store exchange that did not finish within its deadline. */
export class CommandTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'CommandTimeoutError';
  }
}

interface Pending {
  deadline: number;
  reject: (err: Error) => void;
  abort?: AbortController;
}

/**
 * @internal Bounds store exchanges by a deadline with one shared timer, not a timer per command.
 * A client's own timeout is not enough: node-redis, for one, times a command out only until it is
 * written, so a Redis that accepted it and then stalls would hold the request forever. The timer ticks ten times per timeout while anything is
 * pending, so an exchange fails between 1 and 1.1 timeouts after it started. With `abortUnsent`,
 * a command still waiting to be sent when its deadline passes is aborted, so it never runs late.
 */
export class CommandDeadlines {
  private readonly pending = new Set<Pending>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    private readonly abortUnsent: boolean,
    /** What a failed or timed-out exchange rejects with. */
    private readonly failure: (err: unknown) => Error,
  ) {}

  run<T>(operation: (signal?: AbortSignal) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: Date.now() + this.timeoutMs, reject };
      if (this.abortUnsent) entry.abort = new AbortController();
      this.pending.add(entry);
      this.timer ??= setInterval(() => this.expire(), Math.max(5, this.timeoutMs / 10)).unref();
      operation(entry.abort?.signal).then(
        (value) => this.settle(entry) && resolve(value),
        (err: unknown) => this.settle(entry) && reject(this.failure(err)),
      );
    });
  }

  /** Fails every pending exchange now (shutdown). */
  clear(): void {
    for (const entry of this.pending) entry.reject(this.failure(new CommandTimeoutError(0)));
    this.pending.clear();
    this.stop();
  }

  private settle(entry: Pending): boolean {
    // false when it already timed out; the timer stops at its next tick with nothing pending.
    return this.pending.delete(entry);
  }

  private expire(): void {
    const now = Date.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(entry);
      entry.abort?.abort();
      entry.reject(this.failure(new CommandTimeoutError(this.timeoutMs)));
    }
    if (this.pending.size === 0) this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
