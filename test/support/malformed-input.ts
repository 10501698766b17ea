import { createHmac } from 'node:crypto';

/** A small seeded PRNG (xorshift32): the corpus is the same on every run. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const NAMES = [
  'sid',
  '__Host-sid',
  'SID',
  '__Secure-sid',
  'sid ',
  ' sid',
  'connect.sid',
  '__proto__',
  'constructor',
];
const FRAGMENTS = [
  '',
  's:',
  's:.',
  's%3A',
  's%3A.',
  '%',
  '%E0%A4%A',
  '%ff%fe',
  '%00',
  '%0d%0a',
  '\u00e9',
  '\u{1F600}',
  '\x7f',
  '*',
  '?',
  '[',
  ']',
  '{',
  '}',
  '{x}',
  '../',
  '..%2F',
  '/etc/passwd',
  '__proto__',
  'constructor',
  'prototype',
  '"',
  "'",
  '\\',
  ';',
  ',',
  '=',
  ' ',
  '\t',
  'A'.repeat(64),
  'null',
  'undefined',
  '0',
  '-1',
  'NaN',
  '%s%s%s',
  '${jndi:x}',
  '<script>',
  'sess:',
  'session:s:{',
  '}:revoked',
  's:AAAA.BBBB',
  's%3Aabc.def%3D',
];

/**
 * A few thousand malformed `Cookie` header values: broken signatures and encodings, control and
 * non-ASCII characters, glob and path characters, prototype keys, duplicates and huge values,
 * plus well-signed cookies (with `secret`) around IDs that are themselves malformed.
 */
export function malformedCookieHeaders(secret: string, count = 2500, seed = 20261126): string[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const value = () =>
    Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(FRAGMENTS)).join('');
  const signed = (id: string) =>
    `s:${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`;
  const headers = new Set<string>([
    'sid=',
    'sid=s:',
    'sid=s%3A.',
    `sid=${'A'.repeat(8000)}`,
    `sid=s%3A${'A'.repeat(8000)}`,
    'sid=a; sid=b',
    'sid=s%3Aa.b; sid=s%3Ac.d',
    '__proto__=1; sid=s%3Ax.y',
    ';;;',
    '=',
    'sid',
  ]);
  while (headers.size < count) {
    const roll = next();
    if (roll < 0.5) headers.add(`${pick(NAMES)}=${value()}`);
    else if (roll < 0.7) headers.add(`${pick(NAMES)}=${encodeURIComponent(signed(value()))}`);
    else if (roll < 0.85) headers.add(`${pick(NAMES)}=${value()}; ${pick(NAMES)}=${value()}`);
    else headers.add(`${pick(NAMES)}=${value().repeat(1 + Math.floor(next() * 200))}`);
  }
  return [...headers];
}

/** Malformed values for route parameters that name a session (`/auth/sessions/:id`). */
export function malformedSessionHandles(count = 300, seed = 7): string[] {
  const next = random(seed);
  const handles = new Set<string>([
    'x',
    'A'.repeat(22),
    'A'.repeat(21),
    'A'.repeat(23),
    '*',
    '%2A',
    '..%2F..%2Fetc',
  ]);
  while (handles.size < count) {
    handles.add(
      Array.from(
        { length: 1 + Math.floor(next() * 5) },
        () => FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]!,
      )
        .map((f) => encodeURIComponent(f))
        .join(''),
    );
  }
  return [...handles].filter((h) => h.length > 0);
}
