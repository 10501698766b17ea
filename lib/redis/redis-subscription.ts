import { randomBytes } from 'node:crypto';

/** @internal A subscriber client: a duplicate of the store's, of whatever kind. */
export interface SubscriberClient {
  on(event: 'error', listener: (err: unknown) => void): unknown;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  sSubscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  destroy(): unknown;
}

const HEARTBEAT_MS = 1000;
// Heard nothing of its own heartbeat for this long: the subscription is gone (a failover).
const LOST_AFTER_MS = 3 * HEARTBEAT_MS;
const HEARTBEAT = 'heartbeat:';

/**
 * @internal A channel subscription that outlives failovers. node-redis does not move a
 * subscription to a new primary when the old one crashes (a cluster shard or a Sentinel primary),
 * so the subscription proves itself: every second it publishes a heartbeat and listens for it;
 * when none comes back for 3 s, it starts again on a fresh subscriber client, which finds the
 * current primary. Heartbeats are filtered out before the listener.
 */
export class RedisSubscription {
  private readonly heartbeat = `${HEARTBEAT}${randomBytes(8).toString('hex')}`;
  private subscriber?: SubscriberClient;
  private lastHeard = Date.now();
  private renewing = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly channel: string,
    private readonly listener: (message: string) => void,
    /** A new subscriber client, not yet connected. */
    private readonly newSubscriber: () => SubscriberClient,
    /** Sharded pub/sub (a cluster) or plain. */
    private readonly sharded: boolean,
    private readonly publish: (message: string) => Promise<unknown>,
    /** Called after each subscription made again: messages may have been missed meanwhile. */
    private readonly resubscribed?: () => void,
  ) {}

  /** Subscribes; if that fails (Redis down at startup), it is tried again every beat. */
  async start(): Promise<void> {
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    this.renewing = true;
    await this.renew().finally(() => (this.renewing = false));
  }

  stop(): void {
    clearInterval(this.timer);
    this.drop();
  }

  private beat(): void {
    if (Date.now() - this.lastHeard > LOST_AFTER_MS && !this.renewing) {
      this.renewing = true;
      this.renew()
        .then(() => this.resubscribed?.())
        .catch(() => undefined) // tried again at the next beat
        .finally(() => (this.renewing = false));
    }
    this.publish(this.heartbeat).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    this.drop();
    const subscriber = this.newSubscriber();
    subscriber.on('error', () => undefined); // it reconnects, or is replaced, by itself
    this.subscriber = subscriber;
    await subscriber.connect();
    const onMessage = (message: string) => {
      if (message === this.heartbeat) this.lastHeard = Date.now();
      else if (!message.startsWith(HEARTBEAT)) this.listener(message);
    };
    if (this.sharded) await subscriber.sSubscribe(this.channel, onMessage);
    else await subscriber.subscribe(this.channel, onMessage);
    this.lastHeard = Date.now();
  }

  private drop(): void {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    try {
      void Promise.resolve(subscriber?.destroy()).catch(() => undefined);
    } catch {
      // closed already
    }
  }
}
