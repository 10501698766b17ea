/**
 * The files the pages load from /assets: kept here as text, so the built sample (dist/) serves
 * them without a copy step. They are the pages' only script and style: the Content-Security-Policy
 * allows no inline ones.
 */
export const ASSETS: Readonly<Record<string, { type: string; body: string }>> = {
  // The account page's live connection (socket.io, WebSocket only), which ends with the session:
  // signing out or being revoked, here or on another device, closes it within a second.
  'account.js': {
    type: 'text/javascript; charset=utf-8',
    body: `'use strict';
const show = (state) => { document.getElementById('live').textContent = state; };
show('connecting');
const live = io('/realtime', { transports: ['websocket'], reconnection: false });
live.on('connect', () => show('connected'));
live.on('disconnect', () => show('closed'));
live.on('connect_error', () => show('refused'));
`,
  },
  'sample.css': {
    type: 'text/css; charset=utf-8',
    body: `body { font: 16px/1.5 system-ui, sans-serif; color: #1b1b1f; background: #fff; margin: 0; }
main { max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
form { margin: 0.75rem 0; }
label { margin-right: 0.75rem; }
input, button { font: inherit; padding: 0.25rem 0.5rem; }
#error { color: #a4161a; min-height: 1.5em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #c9c9d1; padding: 0.4rem 0.6rem; text-align: left; }
tr.current { background: #eef4ff; }
td form { margin: 0; }
.this-device { color: #0b57d0; margin-left: 0.4rem; }
time, .this-device { white-space: nowrap; }
`,
  },
};
