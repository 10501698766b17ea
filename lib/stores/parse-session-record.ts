import type { SessionData } from 'express-session';

const POLLUTING_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * @internal Parses a stored session record. Keys that could reach a prototype are dropped, and a
 * record that is not a session object reads as no session rather than an error.
 */
export function parseSessionRecord(record: string): SessionData | null {
  let value: unknown;
  try {
    value = JSON.parse(record, (key, v: unknown) => (POLLUTING_KEYS.has(key) ? undefined : v));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const session = value as Partial<SessionData>;
  if (typeof session.cookie !== 'object' || session.cookie === null) return null;
  return session as SessionData;
}
