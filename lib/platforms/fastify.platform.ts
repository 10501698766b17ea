import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { SessionContext } from '../engine/session-context.js';
import type { SessionHandler } from '../engine/session-handler.js';
import type { SessionResponse } from '../engine/session-response.js';
import type { SessionPlatform } from './session-platform.js';

// The parts of Fastify the adapter uses, typed here so that an Express app needs no Fastify types.
type Done = (err?: Error | null, payload?: unknown) => void;
interface FastifyRequestLike {
  session?: unknown;
  [CONTEXT]?: SessionContext | null;
}
interface FastifyReplyLike {
  readonly raw: ServerResponse;
  readonly sent: boolean;
  getHeader(name: string): number | string | string[] | undefined;
  header(name: string, value: unknown): unknown;
  removeHeader(name: string): unknown;
  code(status: number): unknown;
}
interface FastifyInstanceLike {
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: Done) => void,
  ): unknown;
  addHook(
    name: 'onSend',
    hook: (
      request: FastifyRequestLike,
      reply: FastifyReplyLike,
      payload: unknown,
      done: Done,
    ) => void,
  ): unknown;
  decorateRequest(name: string | symbol, value: unknown): unknown;
  hasRequestDecorator(name: string | symbol): boolean;
  readonly initialConfig: { caseSensitive?: boolean; routerOptions?: { caseSensitive?: boolean } };
}

const CONTEXT = Symbol('nestjs-secure-session context');

/**
 * @internal Fastify: the handler as two hooks, as fastify/session does — `onRequest` loads the
 * session onto the request Nest hands to handlers (the FastifyRequest, not `request.raw`), and
 * `onSend` commits it before Fastify writes the headers, so the cookie goes on the reply and a
 * failed commit replaces the payload and status.
 */
export class FastifyPlatform implements SessionPlatform {
  private readonly instance: FastifyInstanceLike;
  readonly caseSensitiveRoutes: boolean;
  readonly requestPrototype?: object;

  constructor(adapter: AbstractHttpAdapter) {
    this.instance = adapter.getInstance<FastifyInstanceLike>();
    this.requestPrototype = requestClassOf(this.instance)?.prototype;
    const config = this.instance.initialConfig;
    this.caseSensitiveRoutes =
      (config.routerOptions?.caseSensitive ?? config.caseSensitive) !== false;
  }

  mount(handler: SessionHandler): void {
    const { instance } = this;
    if (!instance.hasRequestDecorator('session')) instance.decorateRequest('session', null);
    if (!instance.hasRequestDecorator('sessionID')) {
      instance.decorateRequest('sessionID', {
        getter(this: { session?: { id?: string } | null }) {
          return this.session?.id || undefined;
        },
      });
    }
    instance.decorateRequest(CONTEXT, null);
    instance.addHook('onRequest', (request, reply, done) => {
      const context = handler.open(request as unknown as IncomingMessage, new ReplyHeaders(reply));
      if (!context) return done();
      request[CONTEXT] = context;
      handler.load(context, () => done());
    });
    instance.addHook('onSend', (request, reply, payload, done) => {
      const context = request[CONTEXT];
      const settled = context && handler.settle(context);
      if (!settled) return done(null, payload);
      settled.then(
        (answer) => {
          if (!answer) return done(null, payload);
          reply.code(answer.status);
          reply.header('content-type', 'application/json; charset=utf-8');
          done(null, JSON.stringify(answer.body));
        },
        (err: Error) => done(err),
      );
    });
  }
}

// The request class Fastify built with the app's `trustProxy`, whose `protocol` and `ip` getters
// read only `raw`. Fastify keeps it under a private symbol; without it, an upgrade request is
// seen from its socket alone, which refuses an https Origin behind a proxy rather than trusting it.
function requestClassOf(instance: object): { prototype: object } | undefined {
  const key = Object.getOwnPropertySymbols(instance).find(
    (symbol) => symbol.description === 'fastify.Request',
  );
  const found = key && (instance as Record<symbol, unknown>)[key];
  return typeof found === 'function' ? (found as { prototype: object }) : undefined;
}

/** The reply's headers, which Fastify keeps itself and writes when it sends. */
class ReplyHeaders implements SessionResponse {
  constructor(private readonly reply: FastifyReplyLike) {}

  get headersSent(): boolean {
    return this.reply.sent || this.reply.raw.headersSent;
  }

  getHeader(name: string): number | string | string[] | undefined {
    return this.reply.getHeader(name);
  }

  setHeader(name: string, value: string | string[]): void {
    // Fastify's `header()` appends to a Set-Cookie it has: replace it whole.
    this.reply.removeHeader(name);
    this.reply.header(name, value);
  }

  removeHeader(name: string): void {
    this.reply.removeHeader(name);
  }

  once(event: 'close', listener: () => void): void {
    this.reply.raw.once(event, listener);
  }
}
