import { hkdfSync } from 'node:crypto';

/** @internal A usable data-encryption key: its ID (stored in every envelope) and AES key. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

const KEY_BYTES = 32;
const KEY_ID = /^[\w-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
// Distinct HKDF labels: the configured key material is never used directly, and the key ID
// reveals nothing about the key.
const ENCRYPTION_LABEL = 'nestjs-secure-session/v1/session-data-encryption';
const KEY_ID_LABEL = 'nestjs-secure-session/v1/key-id';

/**
 * @internal Parses `encryptionKeys` entries — `[<keyId>:]<base64 or base64url of 32 random bytes>`,
 * newest first — into derived keys. Returns the problems instead of keys when any entry is bad.
 */
export function parseEncryptionKeys(entries: readonly string[]): {
  keys: EncryptionKey[];
  problems: string[];
} {
  const problems: string[] = [];
  const keys: EncryptionKey[] = [];
  entries.forEach((entry, i) => {
    const label = `\`encryptionKeys[${i}]\``;
    const separator = entry.indexOf(':');
    const explicitId = separator === -1 ? undefined : entry.slice(0, separator);
    const encoded = entry.slice(separator + 1).trim();
    const material = Buffer.from(encoded, 'base64');
    if (explicitId !== undefined && !KEY_ID.test(explicitId)) {
      problems.push(`${label} has key ID '${explicitId}': use 1-32 letters, digits, _ or -`);
    } else if (!BASE64.test(encoded) || material.length !== KEY_BYTES) {
      problems.push(
        `${label} decodes to ${material.length} bytes: each key must be ${KEY_BYTES} random bytes in base64 ` +
          '(e.g. `openssl rand -base64 32`)',
      );
    } else {
      const id = explicitId ?? derive(material, KEY_ID_LABEL, 6).toString('base64url');
      keys.push({ id, key: derive(material, ENCRYPTION_LABEL, KEY_BYTES) });
    }
  });
  const ids = keys.map((k) => k.id);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0)
    problems.push(
      `\`encryptionKeys\` name key ID '${repeated[0]}' twice: give each key its own ID`,
    );
  return { keys, problems };
}

function derive(material: Buffer, label: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), label, length));
}
