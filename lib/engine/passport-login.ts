const MAX_USER_ID_LENGTH = 256;

type WithPassport = { passport?: { user?: unknown } | null };

/**
 * @internal Passport keeps its login as `session.passport.user` (what serializeUser gave). A string
 * or number there is the user the session is bound to, so a Passport login is a login for the
 * module: indexed, listed, revocable, counted by `maxSessionsPerUser`.
 */
export function passportUserOf(session: object): string | undefined {
  const user = (session as WithPassport).passport?.user;
  if (typeof user !== 'string' && typeof user !== 'number') return undefined;
  const id = String(user);
  return id.length > 0 && id.length <= MAX_USER_ID_LENGTH ? id : undefined;
}

/**
 * @internal Whether Passport has ended the login of a session bound to `userId`: its state is
 * there, but not that user (`req.logout()`, `deserializeUser` answering `false` for a user since
 * deleted or disabled, or another user written over it).
 */
export function passportLoggedOut(session: object, userId: string): boolean {
  const state = (session as WithPassport).passport;
  return typeof state === 'object' && state !== null && passportUserOf(session) !== userId;
}
