/**
 * @internal The response as the engine needs it, whatever the platform: its headers until they
 * leave, and its end. Node's `ServerResponse` (Express's response) is one; on Fastify, an adapter
 * over the reply (whose headers Fastify writes itself).
 */
export interface SessionResponse {
  /** Whether the headers left already: nothing can be added to them then. */
  readonly headersSent: boolean;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: string | string[]): unknown;
  removeHeader(name: string): unknown;
  /** Calls `listener` once the response is done or abandoned. */
  once(event: 'close', listener: () => void): unknown;
}
