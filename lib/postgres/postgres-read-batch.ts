/** @internal Reads many records by handle in one statement: handle → record. */
export type ReadMany = (handles: string[]) => Promise<Map<string, Buffer>>;

interface Waiter {
  resolve: (record: Buffer | null) => void;
  reject: (err: unknown) => void;
}

/**
 * @internal Gathers the reads that requests start in the same turn of the event loop and sends
 * them as one statement (at most `max` handles), so that under load a read costs a share of a
 * round trip instead of one each: node-postgres sends one statement per connection at a time,
 * where node-redis pipelines. A read alone goes out in the next turn, by itself. Each request
 * still costs at most one statement, and its answer is its own row; a failure fails every read
 * of the batch.
 */
export class PostgresReadBatch {
  private waiting = new Map<string, Waiter[]>();
  private scheduled = false;

  constructor(
    private readonly readMany: ReadMany,
    private readonly max: number,
  ) {}

  read(handle: string): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(handle);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(handle, [{ resolve, reject }]);
      if (this.waiting.size >= this.max) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    if (batch.size === 0) return;
    this.waiting = new Map();
    this.readMany([...batch.keys()]).then(
      (records) => {
        for (const [handle, waiters] of batch) {
          for (const { resolve } of waiters) resolve(records.get(handle) ?? null);
        }
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const { reject } of waiters) reject(err);
      },
    );
  }
}
