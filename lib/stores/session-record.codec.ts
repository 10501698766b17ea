import type { SessionData as ExpressSessionData } from 'express-session';
import { SessionCipher } from '../crypto/session-cipher.js';
import type { SessionMetadata } from '../session-data.interface.js';
import { SessionTooLargeError } from '../session.errors.js';
import type { SessionIndexEntry } from './revocable-session.store.js';

const POLLUTING_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const JSON_OBJECT_START = 0x7b; // '{'

/** @internal How stored bytes are written and read back. */
export interface RecordCodecOptions {
  /** Encrypts everything written when set; reads only envelopes then (unless `acceptPlaintext`). */
  cipher?: SessionCipher;
  /** Reads unencrypted records too (written before encryption was turned on); rewrites them encrypted. */
  acceptPlaintext: boolean;
  /** Largest session, in bytes of JSON, a write may store. */
  maxBytes: number;
  /** The cookie settings a loaded session gets back; they are not stored with every session. */
  cookie: { originalMaxAge: number | null; path: string; httpOnly: boolean };
}

/** @internal A decoded value, or why it cannot be used. */
export type Decoded<T> = { value: T } | { failure: 'undecryptable' | 'malformed' };

/**
 * @internal Serializes sessions and index entries compactly — JSON without express-session's cookie
 * object, as bytes, AES-256-GCM-encrypted when keys are configured — and reads them back safely:
 * prototype-polluting keys dropped, anything unreadable reported instead of thrown.
 */
export class SessionRecordCodec {
  constructor(private readonly options: RecordCodecOptions) {}

  encodeSession(session: ExpressSessionData, meta: SessionMetadata, handle: string): Buffer {
    const { cookie: _cookie, ...data } = session;
    const { createdAt, lastActivityAt, userId } = meta;
    const json = Buffer.from(
      JSON.stringify({ ...data, meta: { createdAt, lastActivityAt, userId } }),
    );
    if (json.length > this.options.maxBytes)
      throw new SessionTooLargeError(json.length, this.options.maxBytes);
    return this.seal(json, `r:${handle}`);
  }

  decodeSession(stored: Buffer, handle: string): Decoded<ExpressSessionData> {
    const value = this.open(stored, `r:${handle}`);
    if ('failure' in value) return value;
    const session = value.value as Partial<ExpressSessionData>;
    if (typeof session.meta !== 'object' || session.meta === null) return { failure: 'malformed' };
    return { value: { ...session, cookie: { ...this.options.cookie } } as ExpressSessionData };
  }

  /** A connect-redis record: JSON of the whole express-session session. */
  decodeLegacy(json: string): Decoded<ExpressSessionData> {
    const parsed = parseObject(Buffer.from(json));
    if ('failure' in parsed) return parsed;
    const { cookie: _cookie, meta: _meta, ...data } = parsed.value as Partial<ExpressSessionData>;
    return { value: { ...data, cookie: { ...this.options.cookie } } as ExpressSessionData };
  }

  encodeIndexEntry(entry: SessionIndexEntry, userKey: string, handle: string): Buffer {
    return this.seal(Buffer.from(JSON.stringify(entry)), `i:${userKey}:${handle}`);
  }

  decodeIndexEntry(stored: Buffer, userKey: string, handle: string): SessionIndexEntry | undefined {
    const value = this.open(stored, `i:${userKey}:${handle}`);
    return 'value' in value ? (value.value as SessionIndexEntry) : undefined;
  }

  private seal(json: Buffer, context: string): Buffer {
    return this.options.cipher ? this.options.cipher.encrypt(json, context) : json;
  }

  private open(stored: Buffer, context: string): Decoded<object> {
    let json: Buffer;
    if (stored[0] === JSON_OBJECT_START) {
      if (this.options.cipher && !this.options.acceptPlaintext) return { failure: 'undecryptable' };
      json = stored;
    } else {
      const opened = this.options.cipher?.decrypt(stored, context);
      if (!Buffer.isBuffer(opened)) return { failure: 'undecryptable' };
      json = opened;
    }
    return parseObject(json);
  }
}

function parseObject(json: Buffer): Decoded<object> {
  try {
    const value: unknown = JSON.parse(json.toString('utf8'), (key, v: unknown) =>
      POLLUTING_KEYS.has(key) ? undefined : v,
    );
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return { failure: 'malformed' };
    return { value };
  } catch {
    return { failure: 'malformed' };
  }
}
