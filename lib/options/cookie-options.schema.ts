import { IsBoolean, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * The options under `cookie`: each declared, documented and validated here once. The package
 * exports this shape as `SessionCookieOptions`; the class itself is not exported.
 */
export class CookieOptionsSchema {
  /**
   * Send the cookie only over HTTPS, so it never travels in clear text and a plain-HTTP page
   * cannot set it. `'auto'` marks it Secure (and names it `__Host-…`) on HTTPS requests only, for
   * local development over plain HTTP; `false` never marks it Secure. Production accepts only
   * `true`.
   * @default true
   */
  @IsOptional()
  @IsIn([true, false, 'auto'], { message: "must be true, false or 'auto'" })
  secure?: boolean | 'auto';

  /**
   * Hide the cookie from `document.cookie`, so an XSS bug cannot read the session ID.
   * Production accepts only `true`.
   * @default true
   */
  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  httpOnly?: boolean;

  /**
   * Which cross-site requests carry the cookie: `'lax'` (top-level navigations only) or
   * `'strict'` (none). `'none'` sends it on every cross-site request and is refused in
   * production.
   * @default 'lax'
   */
  @IsOptional()
  @IsIn(['lax', 'strict', 'none'], { message: "must be 'lax' or 'strict'" })
  sameSite?: 'lax' | 'strict' | 'none';

  /**
   * Cookie path. Any other path than `'/'` gives up the `__Host-` prefix, and outside it a
   * request has no session.
   * @default '/'
   */
  @IsOptional()
  @Matches(/^\/[\x21-\x3a\x3c-\x7e]*$/, {
    message: "must start with '/' and hold no ';' or spaces",
  })
  path?: string;

  /**
   * Cookie domain. Unset, the cookie is host-only and can carry the `__Host-` prefix; set, every
   * subdomain receives it and the prefix is given up.
   * @default none (host-only)
   */
  @IsOptional()
  @Matches(/^[a-z0-9.-]+$/i, { message: 'must be a bare host name such as example.com' })
  domain?: string;

  /**
   * Lifetime of a persistent cookie in milliseconds. Unset, the cookie has no `Expires` and ends
   * with the browser session; the server-side timeouts apply either way.
   * @default none (a browser-session cookie)
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1000, { message: 'must be at least 1000 ms' })
  @Max(ONE_YEAR_MS, { message: 'must be at most one year' })
  maxAge?: number;
}
