import type { AuthenticatedUser } from './auth/users.service.js';

// Declares what the sample keeps in a session, so @Session('cart') and req.session are typed.
declare module 'nestjs-secure-session' {
  interface SessionData {
    user: AuthenticatedUser;
    cart: string[];
  }
}
