import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The floors' session cookie, on both platforms: `sid`, signed as express-session signs it,
 * verified in constant time. Read from the raw Cookie header, as a hand-tuned app would.
 */

/** The `sid` cookie in express-session's format: `s:<id>.<HMAC-SHA256 in unpadded base64>`. */
export class SignedSessionCookie {
  constructor(private readonly secret: string) {}

  /** The verified session ID in the Cookie header, if there is one. */
  read(header: string | undefined): string | undefined {
    const value = cookieValue(header, 'sid');
    if (value === undefined) return undefined;
    let raw: string;
    try {
      raw = value.includes('%') ? decodeURIComponent(value) : value;
    } catch {
      return undefined;
    }
    const dot = raw.lastIndexOf('.');
    if (!raw.startsWith('s:') || dot === -1) return undefined;
    const id = raw.slice(2, dot);
    const given = Buffer.from(raw.slice(dot + 1));
    const expected = Buffer.from(this.signature(id));
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
  }

  serialize(id: string): string {
    return `sid=${encodeURIComponent(`s:${id}.${this.signature(id)}`)}; Path=/; HttpOnly; SameSite=Lax`;
  }

  private signature(id: string): string {
    return createHmac('sha256', this.secret).update(id).digest('base64').replace(/=+$/, '');
  }
}

// Browsers send `a=1; b=2`: the cookie is at the start or after a `; `.
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const pair = `${name}=`;
  const at = header.startsWith(pair) ? 0 : header.indexOf(`; ${pair}`);
  if (at === -1) return undefined;
  const start = at + (at === 0 ? 0 : 2) + pair.length;
  const end = header.indexOf(';', start);
  return header.slice(start, end === -1 ? undefined : end);
}
