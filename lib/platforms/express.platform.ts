import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { FailedCommitAnswer, SessionHandler } from '../engine/session-handler.js';
import type { SessionContext } from '../engine/session-context.js';
import type { SessionPlatform } from './session-platform.js';

type Next = (err?: unknown) => void;
type End = ServerResponse['end'];

/**
 * @internal Express: the handler as one middleware, mounted first; the commit inside the
 * response's `end`, before anything is sent (Express writes its headers there). Its response is
 * Node's own, which is all the engine needs of a response.
 */
export class ExpressPlatform implements SessionPlatform {
  readonly requestPrototype: object;
  readonly caseSensitiveRoutes: boolean;

  constructor(private readonly adapter: AbstractHttpAdapter) {
    const app = adapter.getInstance<{ request: object; get(setting: string): unknown }>();
    this.requestPrototype = app.request;
    this.caseSensitiveRoutes = Boolean(app.get('case sensitive routing'));
  }

  mount(handler: SessionHandler): void {
    this.adapter.use((req: IncomingMessage, res: ServerResponse, next: Next) => {
      const context = handler.open(req, res);
      if (!context) return next();
      res.end = commitBeforeEnd(res, context, handler);
      handler.load(context, () => proceed(next));
    });
    definesSessionId(this.requestPrototype);
  }
}

// The response's `end`, once: the session is committed first, then the response really ends —
// as the app wrote it, or as the answer of a failed commit.
function commitBeforeEnd(
  res: ServerResponse,
  context: SessionContext,
  handler: SessionHandler,
): End {
  // oxlint-disable-next-line typescript/unbound-method -- called back with Reflect.apply on res
  const end = res.end;
  return function (this: ServerResponse, ...args: unknown[]) {
    res.end = end;
    const settled = handler.settle(context);
    if (settled === undefined) return Reflect.apply(end, res, args) as ServerResponse;
    void settled.then((answer) => Reflect.apply(end, res, answer ? answerArgs(res, answer) : args));
    return res;
  } as End;
}

function answerArgs(res: ServerResponse, { status, body }: FailedCommitAnswer): unknown[] {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  return [JSON.stringify(body)];
}

// Goes on with the request outside the promise chain that loaded the session, so an exception
// thrown further down is not swallowed as a rejection.
function proceed(next: Next): void {
  try {
    next();
  } catch (err) {
    next(err);
  }
}

// `req.sessionID`, as express-session has it, read from the session on Express's request
// prototype: no property of its own on each request.
function definesSessionId(requestPrototype: object): void {
  if (Object.hasOwn(requestPrototype, 'sessionID')) return;
  Object.defineProperty(requestPrototype, 'sessionID', {
    configurable: true,
    get(this: { session?: { id?: string } }) {
      return this.session?.id || undefined;
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, 'sessionID', { value, writable: true, configurable: true });
    },
  });
}
