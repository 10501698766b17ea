import type { SessionListing } from 'nestjs-secure-session';
import { escape, layout } from './pages.js';

/**
 * The signed-in page, rendered on the server for the session's user: their cart, the page's live
 * connection, and their sessions (`SessionService.list()`), each other one with a button that
 * revokes it. Every form posts and answers with a redirect back here, so it works without
 * JavaScript; /assets/account.js only opens the live connection.
 */
export function accountPage(username: string, items: string[], sessions: SessionListing[]): string {
  const others = sessions.filter((session) => !session.current);
  return layout(
    'Account',
    `<h1>Signed in as <span id="user">${escape(username)}</span></h1>
<p>Cart: <span id="items">${items.map(escape).join(', ') || '(empty)'}</span></p>
<p>Live connection: <span id="live">off (needs JavaScript)</span></p>
<form method="post" action="/sign-out"><button id="logout">Sign out</button></form>
<h2>Your sessions</h2>
<table id="sessions">
<thead><tr><th>Device</th><th>IP address</th><th>Last activity</th><th>Signed in</th><th></th></tr></thead>
<tbody>
${sessions.map(sessionRow).join('\n')}
</tbody>
</table>
${
  others.length === 0
    ? ''
    : `<form method="post" action="/account/sessions/revoke-others">
  <button id="revoke-others">Sign out everywhere else</button>
</form>`
}`,
    ['/socket.io/socket.io.js', '/assets/account.js'],
  );
}

// The session's handle (an opaque hash, never its ID) goes in the form's body, not in a URL.
function sessionRow(session: SessionListing): string {
  const device = escape(deviceOf(session.userAgent));
  const action = session.current
    ? ''
    : `<form method="post" action="/account/sessions/revoke">
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
