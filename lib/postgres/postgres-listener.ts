import type { Logger } from '@nestjs/common';
import type { PostgresListenClient } from './postgres-pool.js';

const HEARTBEAT_MS = 1000;
const MIN_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;

/**
 * @internal LISTEN on one channel, on a connection of its own (a listening connection cannot go
 * back to a pool), for as long as the store is open. When the connection fails, ends, or does not
 * answer its heartbeat (`SELECT 1` every second, within the query timeout), it is replaced, after
 * a backoff of 50 ms doubling up to 1 s, forever; after each LISTEN made again, `resubscribed` is
 * called, because notifications sent meanwhile were lost.
 */
export class PostgresListener {
  private client?: PostgresListenClient;
  private connecting = false;
  private attempts = 0;
  private triedOnce = false;
  private beating = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private lastLog = 0;

  constructor(
    private readonly newClient: () => PostgresListenClient,
    private readonly channel: string,
    private readonly onPayload: (payload: string) => void,
    private readonly resubscribed: () => void,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Listens; resolves after the first attempt, which, if it failed, is retried in the background. */
  async start(): Promise<void> {
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS).unref();
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    this.drop();
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    const client = this.newClient();
    this.client = client;
    const lost = (err?: Error) => this.lost(client, err);
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', ({ channel, payload }) => {
      if (channel === this.channel && payload) this.onPayload(payload);
    });
    try {
      await this.bounded(client.connect());
      await this.bounded(client.query(`LISTEN "${this.channel}"`));
      if (this.client !== client) return;
      this.attempts = 0;
      if (this.triedOnce) {
        this.logger.log('Session store (PostgreSQL) listening for ended sessions again');
        this.resubscribed();
      }
      this.triedOnce = true;
    } catch (err) {
      // Announcements may be missed until it listens, so `resubscribed` follows when it does.
      this.triedOnce = true;
      this.lost(client, err as Error);
    } finally {
      this.connecting = false;
    }
  }

  private lost(client: PostgresListenClient, err?: Error): void {
    if (this.client !== client || this.stopped) return;
    this.drop();
    if (Date.now() - this.lastLog > 10_000) {
      this.lastLog = Date.now();
      const cause = err?.message ?? 'connection ended';
      this.logger.warn(`Session store (PostgreSQL) LISTEN connection lost: ${cause}; reconnecting`);
    }
    const delay = Math.min(MIN_RETRY_MS * 2 ** this.attempts++, MAX_RETRY_MS);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), delay).unref();
  }

  // A connection that silently went away (a network partition, a failover) sends no 'end'.
  private async beat(): Promise<void> {
    const client = this.client;
    if (!client || this.connecting || this.beating) return;
    this.beating = true;
    try {
      await this.bounded(client.query('SELECT 1'));
    } catch (err) {
      this.lost(client, err as Error);
    } finally {
      this.beating = false;
    }
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
  }

  private bounded<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}
