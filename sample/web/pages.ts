/** The sample's two HTML pages, small enough to read at a glance. No user input is echoed raw. */

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body>${body}</body></html>`;

/** The sign-in page: an anonymous cart and a login form, both talking JSON to the API. */
export const signInPage = layout(
  'Sign in',
  `<h1>Sign in</h1>
<form id="cart"><input name="item" placeholder="Item" required> <button>Add to cart</button></form>
<p>Cart: <span id="items">(empty)</span></p>
<form id="login">
  <input name="username" placeholder="Username" autocomplete="username" required>
  <input name="password" type="password" placeholder="Password" autocomplete="current-password" required>
  <button>Sign in</button>
</form>
<p id="error" role="alert"></p>
<script>
const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const show = (items) => { document.getElementById('items').textContent = items.join(', ') || '(empty)'; };
fetch('/cart').then((r) => r.json()).then((c) => show(c.items));
document.getElementById('cart').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await post('/cart', { item: e.target.item.value });
  show((await res.json()).items);
});
document.getElementById('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await post('/auth/login', { username: e.target.username.value, password: e.target.password.value });
  if (res.ok) location.assign('/account');
  else document.getElementById('error').textContent = 'Sign-in failed';
});
</script>`,
);

/** The signed-in page, rendered on the server for the session's user. */
export function accountPage(username: string, items: string[]): string {
  return layout(
    'Account',
    `<h1>Signed in as <span id="user">${escape(username)}</span></h1>
<p>Cart: <span id="items">${items.map(escape).join(', ') || '(empty)'}</span></p>
<p>Live connection: <span id="live">connecting</span></p>
<button id="logout">Sign out</button>
<script src="/socket.io/socket.io.js"></script>
<script>
// The page's WebSocket ends with the session: signing out here or in another tab closes it.
const live = io('/realtime', { transports: ['websocket'], reconnection: false });
const show = (state) => { document.getElementById('live').textContent = state; };
live.on('connect', () => show('connected'));
live.on('disconnect', () => show('closed'));
live.on('connect_error', () => show('refused'));
document.getElementById('logout').addEventListener('click', async () => {
  await fetch('/auth/logout', { method: 'POST' });
  location.assign('/');
});
</script>`,
  );
}

/** What /account shows without a live session. */
export const signedOutPage = layout(
  'Signed out',
  '<h1>Signed out</h1><p><a href="/">Sign in</a></p>',
);
