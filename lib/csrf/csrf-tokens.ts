import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const DIGEST_BYTES = 32;
const KEY_LABEL = 'nestjs-secure-session csrf v1';

/**
 * @internal Synchronizer tokens bound to a session: HMAC-SHA256 of the session ID under a key
 * derived from each cookie secret, so issuing one stores nothing and a token is worth nothing for
 * another session (or after the ID rotates at login). Each issued token is masked with fresh
 * random bytes (`mask ‖ mask ⊕ digest`, base64url), so no two responses carry the same bytes and
 * a compression side channel (BREACH) cannot recover it. The first secret signs; every one
 * verifies, so a rotation keeps the tokens of open pages.
 */
export class CsrfTokens {
  private readonly keys: Buffer[];

  constructor(secrets: readonly string[]) {
    this.keys = secrets.map((secret) => createHmac('sha256', secret).update(KEY_LABEL).digest());
  }

  issue(sessionId: string): string {
    const digest = this.digest(this.keys[0]!, sessionId);
    const mask = randomBytes(DIGEST_BYTES);
    return Buffer.concat([mask, xor(digest, mask)]).toString('base64url');
  }

  /** Whether `token` was issued for this session ID; constant time in the token's content. */
  verify(sessionId: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length !== 86) return false;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== 2 * DIGEST_BYTES || bytes.toString('base64url') !== token) return false;
    const presented = xor(bytes.subarray(DIGEST_BYTES), bytes.subarray(0, DIGEST_BYTES));
    let valid = false;
    for (const key of this.keys) {
      valid = timingSafeEqual(presented, this.digest(key, sessionId)) || valid;
    }
    return valid;
  }

  private digest(key: Buffer, sessionId: string): Buffer {
    return createHmac('sha256', key).update(sessionId).digest();
  }
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
