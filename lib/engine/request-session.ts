import type { IncomingMessage } from 'node:http';
import type { SessionContext } from './session-context.js';
import type {
  SessionCookieSettings,
  SessionMembers,
  SessionMetadata,
  SessionSnapshot,
} from '../session-data.interface.js';

/** @internal What the engine keeps about a session object, out of its data's way. */
export interface SessionState {
  /** The request's context, shared by every session object the request has in turn. */
  readonly context: SessionContext;
  readonly id: string;
  /** The ID's handle, computed once. */
  handle?: string;
  /** As stored, or as the next write will store it; `undefined` for a session never stored. */
  meta?: SessionMetadata;
  /** The data's JSON as last stored; `undefined` for a session never stored. */
  storedData?: string;
  /** Whether the user's index holds this session. */
  indexed: boolean;
  /** Set by a login on this request: what to emit once it is stored. */
  login?: 'created' | 'regenerated';
  /** The session this one replaced on this request (regenerate): retired once this one is stored. */
  replaces?: RequestSessionObject;
  cookie?: SessionCookieSettings;
}

/** @internal The engine operations behind the session's express-session methods. */
export interface SessionOperations {
  regenerate(req: IncomingMessage): void;
  destroy(req: IncomingMessage): Promise<void>;
  save(req: IncomingMessage): Promise<void>;
  reload(req: IncomingMessage): Promise<void>;
  cookieSettings(req: IncomingMessage, state: SessionState): SessionCookieSettings;
}

type Callback = (err?: unknown) => void;

// Members of the session object; stored data never overwrites them.
const RESERVED = new Set([
  'id',
  'cookie',
  'meta',
  'regenerate',
  'destroy',
  'reload',
  'save',
  'touch',
  'resetMaxAge',
]);

/**
 * @internal `req.session`: the app's data as its own enumerable properties (so
 * `JSON.stringify(session)` is exactly the data), and express-session's Session API on the
 * prototype, with the engine's state in a private field.
 */
export class RequestSessionObject implements SessionMembers {
  readonly #operations: SessionOperations;
  readonly #req: IncomingMessage;
  readonly #state: SessionState;

  constructor(
    operations: SessionOperations,
    req: IncomingMessage,
    state: SessionState,
    data?: Record<string, unknown>,
  ) {
    this.#operations = operations;
    this.#req = req;
    this.#state = state;
    if (data) {
      const self = this as unknown as Record<string, unknown>;
      for (const key in data) if (!RESERVED.has(key)) self[key] = data[key];
    }
  }

  /** @internal */
  static stateOf(session: RequestSessionObject): SessionState {
    return session.#state;
  }

  get id(): string {
    return this.#state.id;
  }

  get meta(): SessionMetadata | undefined {
    return this.#state.meta;
  }

  get cookie(): SessionCookieSettings {
    return (this.#state.cookie ??= this.#operations.cookieSettings(this.#req, this.#state));
  }

  regenerate(callback: Callback): this {
    try {
      this.#operations.regenerate(this.#req);
      process.nextTick(callback);
    } catch (err) {
      process.nextTick(callback, err);
    }
    return this;
  }

  destroy(callback?: Callback): this {
    deliver(this.#operations.destroy(this.#req), callback);
    return this;
  }

  reload(callback: Callback): this {
    deliver(this.#operations.reload(this.#req), callback);
    return this;
  }

  save(callback?: Callback): this {
    deliver(this.#operations.save(this.#req), callback);
    return this;
  }

  /** Activity is stamped by the engine when renewal is due; nothing to do per call. */
  touch(): this {
    return this;
  }

  resetMaxAge(): this {
    return this;
  }
}

// Hands a promise's outcome to a callback outside the promise chain, so an exception the callback
// throws (code going on with the request) is not swallowed as a rejection.
function deliver(promise: Promise<void>, callback: Callback | undefined): void {
  promise.then(
    () => process.nextTick(() => callback?.()),
    (err: unknown) => process.nextTick(() => callback?.(err)),
  );
}

/**
 * @internal `req.session` where the engine cannot give a live one, frozen, each method answering
 * the reason: on a route without session handling or with a store that could not be read, an
 * empty one, for code that reads `req.session` by itself (Passport's `passport.session()` fails a
 * request that has none at all); on a WebSocket handshake, a read-only view of its session, for
 * `@Session()` in a gateway or subscription.
 */
export class UnavailableSession implements SessionMembers {
  readonly id = '';
  readonly meta: SessionMetadata | undefined;
  readonly #reason: () => Error;
  readonly #context: SessionContext | undefined;

  /**
   * @param context the request's, when it has session handling (and its store failed).
   * @param snapshot the session to show, read only.
   */
  constructor(reason: () => Error, context?: SessionContext, snapshot?: SessionSnapshot) {
    this.#reason = reason;
    this.#context = context;
    if (snapshot) {
      const { id: _handle, data, ...meta } = snapshot;
      this.meta = meta;
      const self = this as unknown as Record<string, unknown>;
      for (const key in data)
        if (!RESERVED.has(key)) self[key] = (data as Record<string, unknown>)[key];
    }
    Object.freeze(this);
  }

  /** @internal */
  static contextOf(session: UnavailableSession): SessionContext | undefined {
    return session.#context;
  }

  get cookie(): SessionCookieSettings {
    throw this.#reason();
  }

  regenerate(callback: Callback): this {
    process.nextTick(callback, this.#reason());
    return this;
  }

  destroy(callback?: Callback): this {
    const err = this.#reason();
    // The session could not be read, so it is not ended: a response that assumes it (a redirect
    // the app sends without waiting) answers the failure instead.
    if (this.#context) this.#context.failedLogout = err;
    process.nextTick(() => callback?.(err));
    return this;
  }

  reload(callback: Callback): this {
    return this.regenerate(callback);
  }

  save(callback?: Callback): this {
    process.nextTick(() => callback?.(this.#reason()));
    return this;
  }

  touch(): this {
    return this;
  }

  resetMaxAge(): this {
    return this;
  }
}
