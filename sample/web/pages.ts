/**
 * The sample's sign-in, confirm-password and signed-out pages, rendered on the server. They work
 * without JavaScript: every form posts to a same-origin route that answers with a redirect, and
 * carries the session's CSRF token; no credential or session value ever goes into a URL. Nothing
 * a user typed is echoed.
 */

/** Text made safe to put in HTML, as element content or a quoted attribute value. */
export const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A whole page. No inline script or style (the Content-Security-Policy forbids both): scripts and
 * the stylesheet are files under /assets, from this origin.
 */
export const layout = (
  title: string,
  body: string,
  scripts: string[] = [],
): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="stylesheet" href="/assets/sample.css">
${scripts.map((src) => `<script src="${escape(src)}" defer></script>`).join('\n')}
</head>
<body><main>${body}</main></body></html>`;

/** What a failed form says, by the fixed code its redirect carries (`/?error=<code>`). */
const ERRORS: Record<string, string> = {
  'sign-in-failed': 'Sign-in failed: wrong user name or password.',
  'confirm-failed': 'Wrong password: try again.',
  'email-invalid': 'That is not an email address: nothing was changed.',
};

/** The message of a fixed error code, escaped; nothing for an unknown one (it is never shown). */
export const errorMessage = (code: string | undefined): string =>
  code !== undefined && Object.hasOwn(ERRORS, code) ? escape(ERRORS[code]!) : '';

/**
 * The session's CSRF token (`SessionService.csrfToken()`, masked afresh for each page), which
 * every form posts as `_csrf` and CsrfTokenGuard checks.
 */
export const csrfField = (token: string): string =>
  `<input type="hidden" name="_csrf" value="${escape(token)}">`;

/** The sign-in page: the anonymous cart (carried into the session on sign-in) and the login form. */
export function signInPage(
  items: string[],
  demoUsers: { username: string; password: string }[],
  csrf: string,
  errorCode?: string,
): string {
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<form id="cart" method="post" action="/cart/add">
  ${csrfField(csrf)}
  <label>Item <input name="item" placeholder="Item" maxlength="100" required></label>
  <button>Add to cart</button>
</form>
<p>Cart: <span id="items">${items.map(escape).join(', ') || '(empty)'}</span></p>
<form id="login" method="post" action="/sign-in">
  ${csrfField(csrf)}
  <label>User name <input name="username" placeholder="Username" autocomplete="username" maxlength="64" required></label>
  <label>Password <input name="password" type="password" placeholder="Password" autocomplete="current-password" maxlength="256" required></label>
  <button>Sign in</button>
</form>
<p id="error" role="alert">${errorMessage(errorCode)}</p>
<p id="demo-users">Demo users: ${demoUsers
      .map(
        ({ username, password }) =>
          `<kbd>${escape(username)}</kbd> / <kbd>${escape(password)}</kbd>`,
      )
      .join(', ')}</p>`,
  );
}

/**
 * "Confirm your password", where a sensitive action the session is not recent enough for sends
 * the user (`/account/email` when stale); its form re-authenticates and goes back to /account.
 */
export function confirmPasswordPage(username: string, csrf: string, errorCode?: string): string {
  return layout(
    'Confirm your password',
    `<h1>Confirm your password</h1>
<p>Changing your email needs a recent sign-in. Enter the password of
<strong id="user">${escape(username)}</strong> to continue.</p>
<form id="confirm-password" method="post" action="/account/confirm-password">
  ${csrfField(csrf)}
  <label>Password <input name="password" type="password" placeholder="Password" autocomplete="current-password" maxlength="256" required></label>
  <button>Confirm</button>
</form>
<p id="error" role="alert">${errorMessage(errorCode)}</p>
<p><a href="/account">Back to your account</a></p>`,
  );
}

/** What /account shows without a live session. */
export const signedOutPage = layout(
  'Signed out',
  '<h1>Signed out</h1><p><a href="/">Sign in</a></p>',
);
