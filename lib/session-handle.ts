import { createHash } from 'node:crypto';

/**
 * @internal The opaque handle shown for a session: a SHA-256 of its ID. It names the session
 * (in listings, logs and revocation) without revealing the ID, which cannot be recovered from it.
 */
export function sessionHandle(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}
