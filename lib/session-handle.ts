import { createHash } from 'node:crypto';

/**
 * @internal The opaque handle of a session: the first 128 bits of a SHA-256 of its ID, in
 * base64url (22 characters). It names the session in storage keys, listings, events and
 * revocation without revealing the ID, which cannot be recovered from it.
 */
export function sessionHandle(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest().subarray(0, 16).toString('base64url');
}
