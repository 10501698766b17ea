import { Buffer } from 'node:buffer';

/** @internal Minimum length of a cookie-signing secret, in bytes. */
export const MIN_SECRET_BYTES = 32;

// Secrets copied from tutorials and READMEs; attackers try these first.
const WELL_KNOWN_SECRETS = new Set([
  'keyboard cat',
  'secret',
  'changeme',
  'change-me',
  'change me',
  'password',
  'session-secret',
  'session secret',
  'sessionsecret',
  'mysecret',
  'my-secret',
  'my secret',
  'supersecret',
  'super-secret',
  'your-secret-key',
  'your secret key',
  'yoursecretkey',
  'secret-key',
  'secretkey',
  'default',
  'development',
  'test',
]);

/** @internal Why a secret is unfit for production, or `undefined` when it is fit. */
export function secretWeakness(secret: string): string | undefined {
  const normalized = secret.trim().toLowerCase();
  if (WELL_KNOWN_SECRETS.has(normalized)) return 'is a well-known example secret';
  if (new Set(normalized).size <= 2) return 'repeats one or two characters';
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) return `is ${bytes} bytes, under the ${MIN_SECRET_BYTES} required`;
  return undefined;
}
