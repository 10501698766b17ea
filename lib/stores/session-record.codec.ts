import type { SessionData as ExpressSessionData } from 'express-session';
import type { SessionCipher } from '../crypto/session-cipher.js';
import type { SessionMetadata } from '../session-data.interface.js';
import { SessionTooLargeError } from '../session.errors.js';

const POLLUTING_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const JSON_ARRAY_START = 0x5b; // '[': a plaintext record; an envelope starts with its version

/** @internal How stored bytes are written and read back. */
export interface RecordCodecOptions {
  /** Encrypts every record written when set; reads only envelopes then (unless `acceptPlaintext`). */
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
 * @internal Serializes sessions compactly — `[[createdAt, lastActivityAt, userId, ip, userAgent],
 * data]` as JSON bytes, without express-session's cookie object, AES-256-GCM-encrypted when keys
 * are configured, with the session handle as additional data — and reads them back safely:
 * prototype-polluting keys dropped, anything unreadable reported instead of thrown.
 */
export class SessionRecordCodec {
  constructor(private readonly options: RecordCodecOptions) {}

  encodeSession(session: ExpressSessionData, meta: SessionMetadata, handle: string): Buffer {
    const { cookie: _cookie, meta: _meta, ...data } = session;
    const { createdAt, lastActivityAt, userId = null, ip = null, userAgent = null } = meta;
    const record = [[createdAt, lastActivityAt, userId, ip, userAgent], data];
    const json = Buffer.from(JSON.stringify(record));
    if (json.length > this.options.maxBytes) {
      throw new SessionTooLargeError(json.length, this.options.maxBytes);
    }
    return this.options.cipher ? this.options.cipher.encrypt(json, handle) : json;
  }

  decodeSession(stored: Buffer, handle: string): Decoded<ExpressSessionData> {
    let json: Buffer;
    if (stored[0] === JSON_ARRAY_START) {
      if (this.options.cipher && !this.options.acceptPlaintext) return { failure: 'undecryptable' };
      json = stored;
    } else {
      const opened = this.options.cipher?.decrypt(stored, handle);
      if (!Buffer.isBuffer(opened)) return { failure: 'undecryptable' };
      json = opened;
    }
    const parsed = safeParse(json);
    if (!Array.isArray(parsed) || !Array.isArray(parsed[0]) || !isObject(parsed[1])) {
      return { failure: 'malformed' };
    }
    const [[createdAt, lastActivityAt, userId, ip, userAgent], data] = parsed as [
      unknown[],
      object,
    ];
    if (typeof createdAt !== 'number' || typeof lastActivityAt !== 'number') {
      return { failure: 'malformed' };
    }
    const meta: SessionMetadata = { createdAt, lastActivityAt };
    if (typeof userId === 'string') meta.userId = userId;
    if (typeof ip === 'string') meta.ip = ip;
    if (typeof userAgent === 'string') meta.userAgent = userAgent;
    return { value: { ...data, meta, cookie: { ...this.options.cookie } } as ExpressSessionData };
  }

  /** A connect-redis record: JSON of the whole express-session session. */
  decodeLegacy(json: string): Decoded<ExpressSessionData> {
    const parsed = safeParse(Buffer.from(json));
    if (!isObject(parsed)) return { failure: 'malformed' };
    const { cookie: _cookie, meta: _meta, ...data } = parsed as Partial<ExpressSessionData>;
    return { value: { ...data, cookie: { ...this.options.cookie } } as ExpressSessionData };
  }
}

// A reviver makes JSON.parse several times slower, so it only runs when a polluting key may be
// there: spelt out, or hidden behind a \u escape.
const MAY_POLLUTE = /"(__proto__|constructor|prototype)"|\\u/;

function safeParse(json: Buffer): unknown {
  const text = json.toString('utf8');
  try {
    if (!MAY_POLLUTE.test(text)) return JSON.parse(text);
    return JSON.parse(text, (key, value: unknown) => (POLLUTING_KEYS.has(key) ? undefined : value));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
