import type { SessionListing } from 'nestjs-secure-session';
import { csrfField, errorMessage, escape, layout } from './pages.js';

/** What the account page shows. */
export interface AccountView {
  username: string;
  email: string;
  items: string[];
  sessions: SessionListing[];
  /** The session's CSRF token, for every form. */
  csrf: string;
  /** The fixed code a failed form came back with (`/account?error=<code>`). */
  errorCode?: string;
}

/**
 * The signed-in page, rendered on the server for the session's user: their email (with a form
 * that changes it, which asks for the password again when the sign-in is not recent), their
 * cart, the page's live connection, and their sessions (`SessionService.list()`), each other one
 * with a button that revokes it. Every form posts with the session's CSRF token and answers with
 * a redirect, so it works without JavaScript; /assets/account.js only opens the live connection.
 */
export function accountPage(view: AccountView): string {
  const { username, email, items, sessions, csrf } = view;
  const error = errorMessage(view.errorCode);
  const others = sessions.filter((session) => !session.current);
  const row = (session: SessionListing) => sessionRow(session, csrf);
  return layout(
    'Account',
    `<h1>Signed in as <span id="user">${escape(username)}</span></h1>
<form id="change-email" method="post" action="/account/email">
  ${csrfField(csrf)}
  Email: <span id="email">${escape(email)}</span>
  <label>New email <input name="email" type="email" placeholder="New email" autocomplete="email" maxlength="254" required></label>
  <button>Change email</button>
</form>
${error ? `<p id="error" role="alert">${error}</p>` : ''}
<p>Cart: <span id="items">${items.map(escape).join(', ') || '(empty)'}</span></p>
<p>Live connection: <span id="live">off (needs JavaScript)</span></p>
<form method="post" action="/sign-out">${csrfField(csrf)}<button id="logout">Sign out</button></form>
<h2>Your sessions</h2>
<table id="sessions">
<thead><tr><th>Device</th><th>IP address</th><th>Last activity</th><th>Signed in</th><th></th></tr></thead>
<tbody>
${sessions.map(row).join('\n')}
</tbody>
</table>
${
  others.length === 0
    ? ''
    : `<form method="post" action="/account/sessions/revoke-others">
  ${csrfField(csrf)}
  <button id="revoke-others">Sign out everywhere else</button>
</form>`
}`,
    ['/socket.io/socket.io.js', '/assets/account.js'],
  );
}

// The session's handle (an opaque hash, never its ID) goes in the form's body, not in a URL.
function sessionRow(session: SessionListing, csrf: string): string {
  const device = escape(deviceOf(session.userAgent));
  const action = session.current
    ? ''
    : `<form method="post" action="/account/sessions/revoke">
  ${csrfField(csrf)}
  <input type="hidden" name="id" value="${escape(session.id)}">
  <button class="revoke">Revoke</button>
</form>`;
  return `<tr class="${session.current ? 'session current' : 'session'}">
<td>${device}${session.current ? ' <strong class="this-device">this device</strong>' : ''}</td>
<td>${escape(session.ip ?? 'unknown')}</td>
<td>${time(session.lastActivityAt)}</td>
<td>${time(session.createdAt)}</td>
<td>${action}</td>
</tr>`;
}

function time(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Headless Chrome'],
  [/\b(?:Chrome|CriOS)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

/** A User-Agent as a person names their device: "Firefox on Windows", "curl". */
export function deviceOf(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser) return system ? `${browser} on ${system}` : browser;
  // Not a browser (curl, a script): its product name, kept short.
  return /^[\w.-]{1,40}/.exec(userAgent)?.[0] ?? 'Unknown device';
}
