import type { SessionCipher } from '../crypto/session-cipher.js';
import type { SessionMetadata } from '../session-data.interface.js';
import { SessionTooLargeException } from '../session.errors.js';

const POLLUTING_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const JSON_ARRAY_START = 0x5b; // '[': a plaintext record; an envelope starts with its version

/** @internal How stored bytes are written and read back. */
export interface RecordCodecOptions {
  /** Encrypts every record written when set; reads only envelopes then (unless `acceptPlaintext`). */
  cipher?: SessionCipher;
  /** Reads unencrypted records too (written before encryption was turned on); rewrites them encrypted. */
  acceptPlaintext: boolean;
  /** Largest session data, in bytes of JSON, a write may store (the module's metadata not counted). */
  maxBytes: number;
}

/** @internal A stored session, read back. */
export interface StoredSession {
  meta: SessionMetadata;
  data: Record<string, unknown>;
  /** The data's JSON as stored: a later `JSON.stringify` of unchanged data gives the same text. */
  dataJson: string;
}

/** @internal A decoded value, or why it cannot be used. */
export type Decoded<T> = { value: T } | { failure: 'undecryptable' | 'malformed' };

/**
 * @internal Serializes sessions compactly — `[[createdAt, lastActivityAt, userId, ip, userAgent
 * (, authenticatedAt)], data]` as JSON bytes, AES-256-GCM-encrypted when keys are configured, with the session handle as
 * additional data — and reads them back safely: prototype-polluting keys dropped, anything
 * unreadable reported instead of thrown.
 */
export class SessionRecordCodec {
  constructor(private readonly options: RecordCodecOptions) {}

  /** Throws SessionTooLargeException when the data is over `maxBytes`. */
  encode(meta: SessionMetadata, dataJson: string, handle: string): Buffer {
    const bytes = Buffer.byteLength(dataJson);
    if (bytes > this.options.maxBytes)
      throw new SessionTooLargeException(bytes, this.options.maxBytes);
    const json = Buffer.from(`[${metaJson(meta)},${dataJson}]`);
    return this.options.cipher ? this.options.cipher.encrypt(json, handle) : json;
  }

  decode(stored: Buffer, handle: string): Decoded<StoredSession> {
    let json: Buffer;
    if (stored[0] === JSON_ARRAY_START) {
      if (this.options.cipher && !this.options.acceptPlaintext) return { failure: 'undecryptable' };
      json = stored;
    } else {
      const opened = this.options.cipher?.decrypt(stored, handle);
      if (!Buffer.isBuffer(opened)) return { failure: 'undecryptable' };
      json = opened;
    }
    const text = json.toString('utf8');
    const parsed = safeParse(text);
    if (!Array.isArray(parsed) || !Array.isArray(parsed[0]) || !isObject(parsed[1])) {
      return { failure: 'malformed' };
    }
    const [stamps, data] = parsed as [unknown[], Record<string, unknown>];
    const [createdAt, lastActivityAt, userId, ip, userAgent, authenticatedAt] = stamps;
    if (typeof createdAt !== 'number' || typeof lastActivityAt !== 'number') {
      return { failure: 'malformed' };
    }
    const meta: SessionMetadata = { createdAt, lastActivityAt };
    if (typeof userId === 'string') {
      meta.userId = userId;
      meta.authenticatedAt = typeof authenticatedAt === 'number' ? authenticatedAt : createdAt;
    }
    if (typeof ip === 'string') meta.ip = ip;
    if (typeof userAgent === 'string') meta.userAgent = userAgent;
    // The record is `[<stamps>,<data>]` as JSON.stringify wrote it, and re-serializing the few
    // stamps gives their text back, so the data's text is what follows them: no second
    // stringify of the whole session to tell later whether it changed.
    const dataJson = text.slice(JSON.stringify(stamps).length + 2, -1);
    return { value: { meta, data, dataJson } };
  }

  /** A connect-redis record: JSON of the whole express-session session. */
  decodeLegacy(json: string): Record<string, unknown> | undefined {
    const parsed = safeParse(json);
    if (!isObject(parsed)) return undefined;
    const { cookie: _cookie, ...data } = parsed as Record<string, unknown>;
    return data;
  }
}

// A login authenticates when it creates the session: its time is stored only once a
// re-authentication makes it differ, so most records keep five stamps.
function metaJson(meta: SessionMetadata): string {
  const { createdAt, lastActivityAt, userId, ip, userAgent, authenticatedAt } = meta;
  const stamps = [createdAt, lastActivityAt, userId ?? null, ip ?? null, userAgent ?? null];
  if (authenticatedAt !== undefined && authenticatedAt !== createdAt) stamps.push(authenticatedAt);
  return JSON.stringify(stamps);
}

// A reviver makes JSON.parse several times slower, so it only runs when a polluting key may be
// there: spelt out, or hidden behind a \u escape.
const MAY_POLLUTE = /"(__proto__|constructor|prototype)"|\\u/;

function safeParse(text: string): unknown {
  try {
    if (!MAY_POLLUTE.test(text)) return JSON.parse(text);
    return JSON.parse(text, (key, value: unknown) => (POLLUTING_KEYS.has(key) ? undefined : value));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
