/**
 * `req.session` and `req.sessionID` on Fastify's request, typed: `import 'nestjs-secure-session/fastify'`
 * once in a Fastify app (Express's request is typed by the main entry, which needs no Fastify).
 */
import type {} from 'fastify';
import type { RequestSession } from './session-data.interface.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session (express-session's API), as on Express. */
    session: RequestSession;
    /** The session ID (a secret: never log it). */
    sessionID: string;
  }
}
