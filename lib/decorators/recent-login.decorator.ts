import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { RECENT_LOGIN_MAX_AGE, RecentLoginGuard } from '../guards/recent-login.guard.js';

/**
 * Guards a sensitive action (changing the email, the password, a second factor, the recovery
 * data; ending other sessions) with a recent proof of identity, as OWASP ASVS 7.5.1 asks: the
 * session's user must have logged in or called `SessionService.reauthenticate()` at most
 * `maxAgeMs` ago, or the request gets 403 `ReauthenticationRequiredException`
 * (`REAUTHENTICATION_REQUIRED`); 401 without a logged-in session. On HTTP, GraphQL and WebSocket
 * handlers; refused in any other context.
 */
export const RecentLogin = (maxAgeMs: number): MethodDecorator & ClassDecorator => {
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs <= 0) {
    throw new TypeError(
      `@RecentLogin(maxAgeMs) needs a positive whole number of ms, got ${maxAgeMs}`,
    );
  }
  return applyDecorators(SetMetadata(RECENT_LOGIN_MAX_AGE, maxAgeMs), UseGuards(RecentLoginGuard));
};
