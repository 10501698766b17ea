import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { RESP_TYPES, type RedisClientType } from 'redis';

/**
 * The store-side work of the floor apps, hand-written: what this module does per session read
 * (handle, one Redis GET, AES-256-GCM, JSON) and per write, with nothing around it.
 */

export const IDLE_MS = 30 * 60 * 1000;
export const ABSOLUTE_MS = 8 * 60 * 60 * 1000;

/** A session as the floor apps hold it: the record's stamps and its data. */
export interface FloorSession {
  createdAt: number;
  lastActivityAt: number;
  ip?: string;
  userAgent?: string;
  user?: { id: string };
}

// The module's record layout: [[createdAt, lastActivityAt, userId, ip, userAgent], data].
type FloorRecord = [[number, number, string | null, string | null, string | null], object];

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Sessions in Redis under `<prefix>s:{<handle>}`, encrypted with a key derived from `keyMaterial`. */
export class FloorStore {
  private readonly bytes;
  private readonly key: Buffer;
  private readonly header: Buffer;

  /** @param keyMaterial the first `SESSION_ENCRYPTION_KEYS` entry: base64 of 32 bytes. */
  constructor(
    private readonly client: RedisClientType,
    keyMaterial: string,
    private readonly prefix: string,
  ) {
    this.bytes = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const material = Buffer.from(keyMaterial, 'base64');
    const derive = (label: string, length: number) =>
      Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), label, length));
    this.key = derive('bench/floor/encryption', 32);
    // A key ID of the module's length (8 characters), so records are the module's size.
    const keyId = derive('bench/floor/key-id', 6).toString('base64url');
    this.header = Buffer.concat([Buffer.from([VERSION, keyId.length]), Buffer.from(keyId)]);
  }

  async load(sessionId: string): Promise<FloorSession | undefined> {
    const handle = handleOf(sessionId);
    const stored = (await this.bytes.get(this.recordKey(handle))) as Buffer | null;
    const json = stored && this.open(stored, handle);
    if (!json) return undefined;
    const [[createdAt, lastActivityAt, , ip, userAgent], data] = JSON.parse(
      json.toString(),
    ) as FloorRecord;
    return {
      ...data,
      createdAt,
      lastActivityAt,
      ip: ip ?? undefined,
      userAgent: userAgent ?? undefined,
    };
  }

  /** Writes the session with a TTL to its idle or absolute deadline, whichever comes first. */
  async save(sessionId: string, session: FloorSession): Promise<void> {
    const handle = handleOf(sessionId);
    const { createdAt, lastActivityAt, ip, userAgent, ...data } = session;
    const stamps = [
      createdAt,
      lastActivityAt,
      data.user?.id ?? null,
      ip ?? null,
      userAgent ?? null,
    ];
    const record = this.seal(Buffer.from(JSON.stringify([stamps, data])), handle);
    const ttl = Math.min(lastActivityAt + IDLE_MS, createdAt + ABSOLUTE_MS) - Date.now();
    await this.client.set(this.recordKey(handle), record, {
      expiration: { type: 'PX', value: Math.max(ttl, 1) },
    });
  }

  async destroy(sessionId: string): Promise<void> {
    await this.client.del(this.recordKey(handleOf(sessionId)));
  }

  // version (1) | key ID length (1) | key ID | IV (12) | ciphertext | tag (16); AAD: header, handle.
  private seal(plaintext: Buffer, handle: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.concat([this.header, Buffer.from(handle)]));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([this.header, iv, ciphertext, cipher.getAuthTag()]);
  }

  private open(envelope: Buffer, handle: string): Buffer | undefined {
    const headerLength = this.header.length;
    if (envelope.length < headerLength + IV_BYTES + TAG_BYTES) return undefined;
    if (!envelope.subarray(0, headerLength).equals(this.header)) return undefined;
    const iv = envelope.subarray(headerLength, headerLength + IV_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([this.header, Buffer.from(handle)]));
    decipher.setAuthTag(envelope.subarray(envelope.length - TAG_BYTES));
    try {
      const body = envelope.subarray(headerLength + IV_BYTES, envelope.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  private recordKey(handle: string): string {
    return `${this.prefix}s:{${handle}}`;
  }
}

/** The module's handle: the first 16 bytes of SHA-256(session ID), base64url. */
function handleOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest().subarray(0, 16).toString('base64url');
}
