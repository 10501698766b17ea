import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseEncryptionKeys } from '../../lib/crypto/encryption-keys.js';
import { SessionCipher } from '../../lib/crypto/session-cipher.js';

const newKey = () => randomBytes(32).toString('base64');
const keysOf = (...entries: string[]) => {
  const { keys, problems } = parseEncryptionKeys(entries);
  expect(problems).toEqual([]);
  return keys;
};
const HEADER = (id: string) => 2 + Buffer.byteLength(id);

describe('SessionCipher (AES-256-GCM envelopes)', () => {
  const [key] = keysOf(newKey());
  const cipher = new SessionCipher([key!]);
  const plaintext = Buffer.from(JSON.stringify({ user: 'alice', cart: ['book'] }));

  it('round-trips, and the envelope reveals nothing of the data', () => {
    const envelope = cipher.encrypt(plaintext, 'r:handle-a');
    expect(cipher.decrypt(envelope, 'r:handle-a')).toEqual(plaintext);
    expect(envelope.toString('latin1')).not.toMatch(/alice|book/);
    expect(envelope.length).toBe(plaintext.length + HEADER(key!.id) + 12 + 16);
  });

  it('never repeats an IV over 100k writes', () => {
    const ivs = new Set<string>();
    const at = HEADER(key!.id);
    for (let i = 0; i < 100_000; i++) {
      ivs.add(
        cipher
          .encrypt(plaintext, 'r:h')
          .subarray(at, at + 12)
          .toString('base64'),
      );
    }
    expect(ivs.size).toBe(100_000);
  });

  it('refuses an envelope with any flipped bit: in the header, IV, ciphertext or tag', () => {
    const envelope = cipher.encrypt(plaintext, 'r:h');
    for (let byte = 0; byte < envelope.length; byte++) {
      const tampered = Buffer.from(envelope);
      tampered[byte]! ^= 0x01;
      expect(Buffer.isBuffer(cipher.decrypt(tampered, 'r:h')), `byte ${byte}`).toBe(false);
    }
  });

  it("refuses a record moved under another session's handle", () => {
    const envelope = cipher.encrypt(plaintext, 'r:handle-a');
    expect(cipher.decrypt(envelope, 'r:handle-b')).toBe('unauthentic');
  });

  it('refuses a truncated tag or a cut envelope', () => {
    const envelope = cipher.encrypt(plaintext, 'r:h');
    expect(cipher.decrypt(envelope.subarray(0, envelope.length - 1), 'r:h')).toBe('unauthentic');
    expect(cipher.decrypt(envelope.subarray(0, 20), 'r:h')).toBe('malformed');
    expect(cipher.decrypt(Buffer.alloc(0), 'r:h')).toBe('malformed');
  });

  it('rotates: the newest key encrypts, older listed keys still decrypt, a retired key does not', () => {
    const [oldKey] = keysOf(`old:${newKey()}`);
    const [newestKey] = keysOf(`new:${newKey()}`);
    const before = new SessionCipher([oldKey!]).encrypt(plaintext, 'r:h');
    const rotated = new SessionCipher([newestKey!, oldKey!]);
    expect(rotated.decrypt(before, 'r:h')).toEqual(plaintext);
    expect(rotated.encrypt(plaintext, 'r:h').subarray(2, 5).toString()).toBe('new');
    expect(new SessionCipher([newestKey!]).decrypt(before, 'r:h')).toBe('unknown-key');
  });
});

describe('parseEncryptionKeys', () => {
  it('accepts standard and URL-safe base64, with or without a key ID, and derives an ID otherwise', () => {
    const raw = randomBytes(32);
    const [a] = keysOf(raw.toString('base64'));
    const [b] = keysOf(raw.toString('base64url'));
    const [c] = keysOf(`k1:${raw.toString('base64')}`);
    expect(a!.id).toBe(b!.id);
    expect(a!.id).toMatch(/^[\w-]{8}$/);
    expect(c!.id).toBe('k1');
    // The AES key is derived (HKDF), never the configured bytes themselves.
    expect(a!.key.equals(raw)).toBe(false);
  });

  it('refuses a key of the wrong length, a malformed one and a repeated ID, without echoing the key', () => {
    const short = randomBytes(16).toString('base64');
    const { problems } = parseEncryptionKeys([
      short,
      'not base64!',
      `a:${newKey()}`,
      `a:${newKey()}`,
    ]);
    expect(problems).toEqual([
      expect.stringMatching(
        /`encryptionKeys\[0\]` decodes to 16 bytes: each key must be 32 random bytes/,
      ),
      expect.stringMatching(/`encryptionKeys\[1\]` decodes to/),
      expect.stringMatching(/key ID 'a' twice/),
    ]);
    expect(problems.join()).not.toContain(short);
  });
});
