import { createHmac } from 'node:crypto';

/** A session cookie value signed the way express-session signs it (`s:<id>.<hmac>`). */
export function signedSessionCookie(name: string, sessionId: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(sessionId).digest('base64').replace(/=+$/, '');
  return `${name}=${encodeURIComponent(`s:${sessionId}.${mac}`)}`;
}
