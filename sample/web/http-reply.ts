/**
 * What the sample's controllers use of a response through `@Res({ passthrough: true })`: methods
 * Express's `Response` and Fastify's `FastifyReply` both have, alike, so one controller serves
 * both platforms.
 */
export interface HttpReply {
  status(code: number): unknown;
  type(contentType: string): unknown;
}
