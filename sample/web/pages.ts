/**
 * The sample's sign-in and signed-out pages, rendered on the server. They work without
 * JavaScript: every form posts to a same-origin route that answers with a redirect, and no
 * credential or session value ever goes into a URL. Nothing a user typed is echoed.
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
};

/** The sign-in page: the anonymous cart (carried into the session on sign-in) and the login form. */
export function signInPage(
  items: string[],
  demoUsers: { username: string; password: string }[],
  errorCode?: string,
): string {
  const error =
    errorCode !== undefined && Object.hasOwn(ERRORS, errorCode) ? ERRORS[errorCode] : '';
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<form id="cart" method="post" action="/cart/add">
  <label>Item <input name="item" placeholder="Item" maxlength="100" required></label>
  <button>Add to cart</button>
</form>
<p>Cart: <span id="items">${items.map(escape).join(', ') || '(empty)'}</span></p>
<form id="login" method="post" action="/sign-in">
  <label>User name <input name="username" placeholder="Username" autocomplete="username" maxlength="64" required></label>
  <label>Password <input name="password" type="password" placeholder="Password" autocomplete="current-password" maxlength="256" required></label>
  <button>Sign in</button>
</form>
<p id="error" role="alert">${escape(error ?? '')}</p>
<p id="demo-users">Demo users: ${demoUsers
      .map(
        ({ username, password }) =>
          `<kbd>${escape(username)}</kbd> / <kbd>${escape(password)}</kbd>`,
      )
      .join(', ')}</p>`,
  );
}

/** What /account shows without a live session. */
export const signedOutPage = layout(
  'Signed out',
  '<h1>Signed out</h1><p><a href="/">Sign in</a></p>',
);
