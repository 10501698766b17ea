import type { AbstractHttpAdapter } from '@nestjs/core';
import type { SessionHandler } from '../engine/session-handler.js';
import { ExpressPlatform } from './express.platform.js';
import { FastifyPlatform } from './fastify.platform.js';

/**
 * @internal How the session handling reaches one HTTP platform: its hooks (a request on the way
 * in, a response before its headers leave) and its request object. The lifecycle itself is the
 * platform-neutral SessionHandler; an adapter only calls it.
 */
export interface SessionPlatform {
  /** Puts the handler on the platform's hooks, and `req.sessionID` on its requests. */
  mount(handler: SessionHandler): void;
  /**
   * The platform's request prototype, through which a WebSocket upgrade request (which no
   * platform handles) is seen as the platform sees its requests (`trust proxy`); none when the
   * platform has no such prototype.
   */
  readonly requestPrototype?: object;
  /** Whether the platform's router tells `/Admin` from `/admin`. */
  readonly caseSensitiveRoutes: boolean;
}

/** @internal The adapter of the app's HTTP platform; an error naming the platform otherwise. */
export function sessionPlatformOf(adapter: AbstractHttpAdapter): SessionPlatform {
  const type = adapter.getType();
  switch (type) {
    case 'express':
      return new ExpressPlatform(adapter);
    case 'fastify':
      return new FastifyPlatform(adapter);
    default:
      throw new Error(
        `SessionModule supports the Express and Fastify platforms (@nestjs/platform-express, @nestjs/platform-fastify); this app runs on '${type}'`,
      );
  }
}
