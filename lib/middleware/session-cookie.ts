import { parse } from 'cookie';
import signature from 'cookie-signature';

/** @internal What the request's session cookie holds, judged as express-session judges it. */
export type SessionCookieState =
  | { kind: 'absent' }
  | { kind: 'signed'; sessionId: string }
  /** Present but unsigned, or signed with no current secret: forged or tampered with. */
  | { kind: 'tampered'; raw: string };

/** @internal Reads and verifies the session cookie; parses only when the name appears at all. */
export function readSessionCookie(
  header: string | undefined,
  name: string,
  secrets: readonly string[],
): SessionCookieState {
  if (!header?.includes(`${name}=`)) return { kind: 'absent' };
  const raw = parse(header)[name];
  if (raw === undefined) return { kind: 'absent' };
  if (raw.startsWith('s:')) {
    for (const secret of secrets) {
      const sessionId = signature.unsign(raw.slice(2), secret);
      if (sessionId !== false) return { kind: 'signed', sessionId };
    }
  }
  return { kind: 'tampered', raw };
}
