import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from './encryption-keys.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** @internal Why an envelope could not be opened. */
export type DecryptFailure = 'unknown-key' | 'malformed' | 'unauthentic';

/**
 * @internal AES-256-GCM envelopes for data at rest:
 * `version (1) | key ID length (1) | key ID | IV (12) | ciphertext | tag (16)`, bytes, not text.
 * A fresh random 96-bit IV per write; the 128-bit tag authenticates the header and the caller's
 * context (the session handle) as additional data, so a record moved under another session, a
 * retired key, or any flipped bit fails to open.
 */
export class SessionCipher {
  private readonly byId: Map<string, Buffer>;

  /** @param keys newest first: the first encrypts, all decrypt. */
  constructor(private readonly keys: readonly EncryptionKey[]) {
    this.byId = new Map(keys.map(({ id, key }) => [id, key]));
  }

  /** The first byte of every envelope; never the first byte of a JSON record. */
  static readonly VERSION = VERSION;

  encrypt(plaintext: Buffer, context: string): Buffer {
    const { id, key } = this.keys[0]!;
    const keyId = Buffer.from(id);
    const header = Buffer.concat([Buffer.from([VERSION, keyId.length]), keyId]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.concat([header, Buffer.from(context)]));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, ciphertext, cipher.getAuthTag()]);
  }

  decrypt(envelope: Buffer, context: string): Buffer | DecryptFailure {
    if (envelope.length < 2 || envelope[0] !== VERSION) return 'malformed';
    const headerLength = 2 + envelope[1]!;
    if (envelope.length < headerLength + IV_BYTES + TAG_BYTES) return 'malformed';
    const key = this.byId.get(envelope.subarray(2, headerLength).toString());
    if (!key) return 'unknown-key';
    const iv = envelope.subarray(headerLength, headerLength + IV_BYTES);
    const tag = envelope.subarray(envelope.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([envelope.subarray(0, headerLength), Buffer.from(context)]));
    decipher.setAuthTag(tag);
    try {
      const body = envelope.subarray(headerLength + IV_BYTES, envelope.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      return 'unauthentic';
    }
  }
}
