import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ResolvedSessionOptions } from '../options/resolved-session-options.js';
import type { SessionCookieSettings } from '../session-data.interface.js';

/** @internal What the request's session cookie holds. */
export type SessionCookieRead =
  | { kind: 'absent' }
  | { kind: 'signed'; sessionId: string }
  /** Present but unsigned, or signed with no current secret: forged or tampered with. */
  | { kind: 'tampered'; raw: string };

// Far more than a signed ID takes; a longer value is not worth verifying.
const MAX_VALUE_LENGTH = 512;
const CLEARED = 'Thu, 01 Jan 1970 00:00:00 GMT';

/**
 * @internal The session cookie policy, in one place: its names, how it is read and verified, and
 * the `Set-Cookie` values that issue and clear it. The value is express-session's format,
 * `s:<id>.<signature>` URL-encoded, the signature an HMAC-SHA256 in base64 without padding (as
 * cookie-signature makes it), so cookies issued before stay valid. Every secret verifies (in
 * constant time); the first signs.
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
  put(res: ServerResponse, name: string, value?: string): void {
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

  /** Finds the first cookie of that name in a `Cookie` header, and verifies its signature. */
  read(header: string | undefined, name: string): SessionCookieRead {
    const raw = header === undefined ? undefined : cookieValue(header, name);
    if (raw === undefined) return { kind: 'absent' };
    const value = decode(raw);
    if (value.startsWith('s:') && value.length <= MAX_VALUE_LENGTH) {
      const dot = value.lastIndexOf('.');
      const signature = value.slice(dot + 1);
      // An HMAC-SHA256 is 43 characters of unpadded base64; it is compared as its 32 bytes.
      if (dot > 2 && signature.length === SIGNATURE_LENGTH) {
        const sessionId = value.slice(2, dot);
        const given = Buffer.from(signature, 'base64');
        for (const secret of this.options.secrets) {
          const expected = mac(sessionId, secret);
          if (given.length === expected.length && timingSafeEqual(expected, given)) {
            return { kind: 'signed', sessionId };
          }
        }
      }
    }
    return { kind: 'tampered', raw };
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

const SIGNATURE_LENGTH = 43;

function mac(value: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(value).digest();
}

function sign(value: string, secret: string): string {
  return mac(value, secret).toString('base64').replace(/=+$/, '');
}

// The value of the first cookie of that name, as the `cookie` package (and so express-session)
// finds it: names are matched exactly, at the start or after a `;`.
function cookieValue(header: string, name: string): string | undefined {
  let at = header.indexOf(name);
  while (at !== -1) {
    const end = at + name.length;
    if (header.charCodeAt(end) === 0x3d /* = */ && startsPair(header, at)) {
      const semicolon = header.indexOf(';', end);
      let value = header.slice(end + 1, semicolon === -1 ? undefined : semicolon).trim();
      if (value.length > 1 && value.startsWith('"') && value.endsWith('"'))
        value = value.slice(1, -1);
      return value;
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
