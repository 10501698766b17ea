import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { errorMessage, SessionStoreUnavailableException } from '../session.errors.js';
import { CommandDeadlines } from './command-deadlines.js';
import type {
  IndexEntry,
  LegacySessionSource,
  SessionStore,
  SessionStoreKind,
} from './session-store.interface.js';

/**
 * @internal What the module holds as its store, whichever store it is: every failure of a call
 * becomes a 503 (`SessionStoreUnavailableException`, the cause logged once, under the store's
 * name), never a raw error and its 500; with `timeoutMs`, a call that has not settled by then is
 * a 503 too (for stores given as the `store` option; the built-in ones bound their own calls and
 * cancel what they abandon). The store is closed when the app shuts down.
 */
export class GuardedSessionStore implements SessionStore, OnApplicationShutdown {
  readonly kind: SessionStoreKind;
  readonly legacySessions?: LegacySessionSource;
  private readonly logger = new Logger('SessionModule');
  private readonly deadlines?: CommandDeadlines;
  private closing?: Promise<void>;

  constructor(
    /** The store itself. */
    readonly store: SessionStore,
    timeoutMs?: number,
  ) {
    this.kind = store.kind;
    const legacy = store.legacySessions;
    if (legacy) {
      this.legacySessions = {
        read: (sessionId) => this.guard(() => legacy.read(sessionId)),
        remove: (sessionId) => this.guard(() => legacy.remove(sessionId)),
      };
    }
    if (timeoutMs !== undefined) {
      this.deadlines = new CommandDeadlines(timeoutMs, false, (err) => err as Error);
    }
  }

  read(handle: string): Promise<Buffer | null> {
    return this.guard(() => this.store.read(handle));
  }

  isRevoked(handle: string): Promise<boolean> {
    return this.guard(() => this.store.isRevoked(handle));
  }

  writeUnlessRevoked(handle: string, record: Buffer, ttlMs: number): Promise<boolean> {
    return this.guard(() => this.store.writeUnlessRevoked(handle, record, ttlMs));
  }

  revoke(handle: string, tombstoneTtlMs: number): Promise<boolean> {
    return this.guard(() => this.store.revoke(handle, tombstoneTtlMs));
  }

  indexAdd(
    userKey: string,
    entry: IndexEntry,
    staleBefore: number,
    ttlMs: number,
  ): Promise<number> {
    return this.guard(() => this.store.indexAdd(userKey, entry, staleBefore, ttlMs));
  }

  indexPage(userKey: string, offset: number, count: number): Promise<IndexEntry[]> {
    return this.guard(() => this.store.indexPage(userKey, offset, count));
  }

  indexRemove(userKey: string, handles: readonly string[]): Promise<void> {
    return this.guard(() => this.store.indexRemove(userKey, handles));
  }

  announceEnded(handles: readonly string[]): Promise<void> {
    return this.guard(() => this.store.announceEnded(handles));
  }

  // Not bounded: a subscription may take a while to be first made (a store down at startup).
  onEnded(ended: (handle: string) => void, resubscribed?: () => void): Promise<void> {
    return this.store.onEnded(ended, resubscribed).catch((err: unknown) => {
      throw this.failed(err);
    });
  }

  isReachable(): Promise<boolean> {
    return this.guard(() => this.store.isReachable()).catch(() => false);
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Closes the store once, whoever asks; a store that fails to close is logged, not thrown. */
  close(): Promise<void> {
    this.closing ??= this.guard(() => this.store.close()).catch(() => undefined);
    return this.closing;
  }

  private guard<T>(call: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = this.deadlines ? this.deadlines.run(call) : call();
    } catch (err) {
      pending = Promise.reject(err); // a store that throws instead of rejecting
    }
    return pending.catch((err: unknown) => {
      throw this.failed(err);
    });
  }

  private failed(err: unknown): SessionStoreUnavailableException {
    if (err instanceof SessionStoreUnavailableException) return err; // logged by the store
    this.logger.error(`Session store (${this.kind}) failed: ${errorMessage(err)}`);
    return new SessionStoreUnavailableException();
  }
}
