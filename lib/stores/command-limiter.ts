/**
 * @internal At most `limit` operations in flight at once, the rest waiting their turn in order.
 * Work over one user's sessions goes through one limiter per instance, so however many sessions
 * a user has, and however many such operations run at once, they never hold more than `limit`
 * commands of the store connection's queue, which every other request shares.
 */
export class CommandLimiter {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Runs `operation` for each item, at most `limit` at once (across every caller). */
  map<T, R>(items: readonly T[], operation: (item: T) => Promise<R>): Promise<R[]> {
    return Promise.all(items.map((item) => this.run(() => operation(item))));
  }

  private async run<R>(operation: () => Promise<R>): Promise<R> {
    if (this.inFlight >= this.limit) await new Promise<void>((go) => this.waiting.push(go));
    else this.inFlight++;
    try {
      return await operation();
    } finally {
      // The slot passes straight to the next waiter, so the count stays exact.
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    }
  }
}
