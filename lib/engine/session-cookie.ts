import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import type { SessionCookieSettings } from '../session-data.interface.js';
import type { SessionResponse } from './session-response.js';

/** @internal What the request's session cookie holds. */
export type SessionCookieRead =
  | { kind: 'absent' }
  /** `sessionIds`: every cookie of the name that verifies, in header order (at most 3). */
  | { kind: 'signed'; sessionIds: readonly string[] }
  /** Present but unsigned, or signed with no current secret: forged or tampered with. */
  | { kind: 'tampered'; raw: string };

// Cookies of the session's name verified per request: a real one among a few planted ones.
const MAX_DUPLICATES = 3;
// Far more than a signed ID takes; a longer value is not worth verifying.
const MAX_VALUE_LENGTH = 512;
const CLEARED = 'Thu, 01 Jan 1970 00:00:00 GMT';

/**
 * @internal The session cookie policy, in one place: its names, how it is read and verified, and
 * the `Set-Cookie` values that issue and clear it. The value is express-session's format,
 * `s:<id>.<signature>` URL-encoded, the signature an HMAC-SHA256 in base64 without padding (as
 * cookie-signature makes it, and accepted only as it makes it), so cookies issued before stay
 * valid. Every secret verifies (in constant time); the first signs.
 */
export class SessionCookiePolicy {
  // Attributes in the order the `cookie` package (and so express-session) writes them:
  // Domain, Path, [Expires], HttpOnly, Secure, SameSite.
  private readonly scope: string;
  private readonly flags: { secure: string; plain: string };

  constructor(private readonly options: ResolvedSessionOptions) {
    const { path, domain, httpOnly, sameSite } = options.cookie;
    this.scope = `${domain ? `; Domain=${domain}` : ''}; Path=${path}`;
    const sameSiteAttribute = `; SameSite=${sameSite[0]!.toUpperCase()}${sameSite.slice(1)}`;
    const httpOnlyAttribute = httpOnly ? '; HttpOnly' : '';
    this.flags = {
      secure: `${httpOnlyAttribute}; Secure${sameSiteAttribute}`,
      plain: `${httpOnlyAttribute}${sameSiteAttribute}`,
    };
  }

  /** The cookie's path: requests outside it never carry the cookie. */
  get path(): string {
    return this.options.cookie.path;
  }

  /** The cookie name for a request seen as HTTPS or not. */
  nameFor(secureRequest: boolean): string {
    const { cookieNames, cookie } = this.options;
    return secureRequest || cookie.secure === true ? cookieNames.secure : cookieNames.plain;
  }

  /** Whether a cookie issued on this request reaches the browser: not a Secure one over plain HTTP. */
  deliverable(secureRequest: boolean): boolean {
    return secureRequest || this.options.cookie.secure !== true;
  }

  /**
   * Puts a `Set-Cookie` for the session cookie on a response whose headers have not left,
   * replacing (or, without a value, removing) one set before for the same cookie, with
   * `Cache-Control: no-store`.
   */
  put(res: SessionResponse, name: string, value?: string): void {
    const existing = res.getHeader('set-cookie');
    const others = (
      existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)]
    ).filter((cookie) => !cookie.startsWith(`${name}=`));
    const cookies = value === undefined ? others : [...others, value];
    if (cookies.length > 0) res.setHeader('Set-Cookie', cookies);
    else res.removeHeader('Set-Cookie');
    res.setHeader('Cache-Control', 'no-store');
  }

  /** Whether a cookie with this `maxAge` (or the policy's) is persistent, so renewals re-send it. */
  persistent(maxAge: number | undefined): boolean {
    return (maxAge ?? this.options.cookie.maxAge) !== undefined;
  }

  /** `req.session.cookie`: the settings a cookie on this request is sent with. */
  settings(secureRequest: boolean): SessionCookieSettings {
    const { path, domain, httpOnly, sameSite, maxAge } = this.options.cookie;
    return {
      path,
      domain,
      httpOnly,
      sameSite,
      secure: this.isSecure(secureRequest),
      maxAge,
      originalMaxAge: maxAge ?? null,
    };
  }

  /**
   * The session IDs of the cookies of that name in a `Cookie` header whose signature verifies,
   * in order. Several cookies of one name reach the server when one was planted for a parent
   * domain or a longer path (cookie tossing); one that does not verify, or names no live session
   * (the engine then tries the next), must not refuse, nor clear, one that does. `tampered` (the
   * first one's value) only when none verifies.
   */
  read(header: string | undefined, name: string): SessionCookieRead {
    let first: string | undefined;
    const sessionIds: string[] = [];
    let from = 0;
    while (header !== undefined && sessionIds.length < MAX_DUPLICATES) {
      const found = cookieAt(header, name, from);
      if (!found) break;
      const sessionId = this.verify(found.raw);
      if (sessionId !== undefined) sessionIds.push(sessionId);
      first ??= found.raw;
      from = found.end;
    }
    if (sessionIds.length > 0) return { kind: 'signed', sessionIds };
    return first === undefined ? { kind: 'absent' } : { kind: 'tampered', raw: first };
  }

  // The session ID of a cookie value signed with one of the secrets, in the one encoding
  // cookie-signature produces: a decoder's tolerance (spare bits, the base64url alphabet) would
  // let one signature have many spellings.
  private verify(raw: string): string | undefined {
    const value = decode(raw);
    if (!value.startsWith('s:') || value.length > MAX_VALUE_LENGTH) return undefined;
    const dot = value.lastIndexOf('.');
    const given = Buffer.from(value.slice(dot + 1));
    if (dot <= 2 || given.length !== SIGNATURE_LENGTH) return undefined;
    const sessionId = value.slice(2, dot);
    for (const secret of this.options.secrets) {
      if (timingSafeEqual(Buffer.from(sign(sessionId, secret)), given)) return sessionId;
    }
    return undefined;
  }

  /** The `Set-Cookie` value that issues the session ID. */
  issue(name: string, sessionId: string, secureRequest: boolean, maxAge?: number): string {
    const value = encodeURIComponent(`s:${sessionId}.${sign(sessionId, this.options.secrets[0]!)}`);
    const lifetime = maxAge ?? this.options.cookie.maxAge;
    const expires =
      lifetime === undefined ? '' : `; Expires=${new Date(Date.now() + lifetime).toUTCString()}`;
    return `${name}=${value}${this.scope}${expires}${this.flagsFor(secureRequest)}`;
  }

  /** The `Set-Cookie` value that removes the cookie (same name, path and domain). */
  clear(name: string, secureRequest: boolean): string {
    return `${name}=${this.scope}; Expires=${CLEARED}${this.flagsFor(secureRequest)}`;
  }

  private flagsFor(secureRequest: boolean): string {
    return this.isSecure(secureRequest) ? this.flags.secure : this.flags.plain;
  }

  private isSecure(secureRequest: boolean): boolean {
    const { secure } = this.options.cookie;
    return secure === true || (secure === 'auto' && secureRequest);
  }
}

// An HMAC-SHA256 in base64 without its '=' padding.
const SIGNATURE_LENGTH = 43;

function sign(value: string, secret: string): string {
  return createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
}

// The next cookie of that name at or after `from`, as the `cookie` package (and so
// express-session) finds one: names are matched exactly, at the start or after a `;`.
function cookieAt(
  header: string,
  name: string,
  from: number,
): { raw: string; end: number } | undefined {
  let at = header.indexOf(name, from);
  while (at !== -1) {
    const end = at + name.length;
    if (header.charCodeAt(end) === 0x3d /* = */ && startsPair(header, at)) {
      const semicolon = header.indexOf(';', end);
      let raw = header.slice(end + 1, semicolon === -1 ? undefined : semicolon).trim();
      if (raw.length > 1 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
      return { raw, end: semicolon === -1 ? header.length : semicolon };
    }
    at = header.indexOf(name, at + 1);
  }
  return undefined;
}

function startsPair(header: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (header[i] === ' ' || header[i] === '\t')) i--;
  return i < 0 || header[i] === ';';
}

function decode(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
