import { createHash, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { Response } from 'supertest';
import { loadSampleConfig, SAMPLE_PLATFORMS } from '../../sample/config/sample-config.js';
import { createSampleApp } from '../../sample/create-sample-app.js';
import { sessionHandle } from '../../lib/session-handle.js';

/**
 * The platforms the sample runs on: a suite that takes one as a parameter passes it as
 * `startSample({ SAMPLE_PLATFORM: platform })`.
 */
export { SAMPLE_PLATFORMS };
export type { SamplePlatformName } from '../../sample/config/sample-config.js';

/** A running sample app and a supertest client for it. */
export interface SampleUnderTest {
  app: INestApplication;
  http: ReturnType<typeof request>;
  /** The Redis key prefix this instance writes under (unique per instance). */
  keyPrefix: string;
  /** The PostgreSQL table prefix it writes under (from the key prefix, unless given). */
  tablePrefix: string;
  close(): Promise<void>;
}

/**
 * Boots the sample with these environment variables, on its own Redis key prefix, ready for
 * requests. Its platform is `env.SAMPLE_PLATFORM`, or else the shell's (`SAMPLE_PLATFORM=fastify
 * npx vitest run ...` runs every suite that does not name one on Fastify), or else Express.
 */
export async function startSample(
  env: Record<string, string | undefined> = {},
): Promise<SampleUnderTest> {
  const keyPrefix = env.SESSION_KEY_PREFIX ?? `test-${randomUUID()}:`;
  const config = loadSampleConfig({
    SESSION_KEY_PREFIX: keyPrefix,
    // On PostgreSQL, tables of its own too: instances given the same key prefix share them.
    SESSION_TABLE_PREFIX: `t${createHash('sha256').update(keyPrefix).digest('hex').slice(0, 12)}_`,
    ...env,
    SAMPLE_PLATFORM: env.SAMPLE_PLATFORM ?? process.env.SAMPLE_PLATFORM,
  });
  const app = await createSampleApp(config, { quiet: true });
  await app.init();
  // Fastify loads its plugins (Mercurius, the WebSocket routes) when it gets ready.
  if (config.platform === 'fastify') {
    await (app.getHttpAdapter().getInstance() as { ready(): PromiseLike<unknown> }).ready();
  }
  const tablePrefix = config.tablePrefix!;
  return {
    app,
    http: request(app.getHttpServer()),
    keyPrefix,
    tablePrefix,
    close: () => app.close(),
  };
}

/** The `name=value` pair of the session cookie a response set, for a `Cookie` header. */
export function sessionCookie(res: Response): string {
  const header = setCookies(res).find((c) => /^(__Host-)?sid=/.test(c));
  if (!header) throw new Error(`No session cookie in response: ${JSON.stringify(res.headers)}`);
  return header.split(';')[0]!;
}

/** Every Set-Cookie header of a response. */
export function setCookies(res: Response): string[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [header];
}

/** Logs in as a demo user and returns the new session cookie. */
export async function login(
  sample: SampleUnderTest,
  username = 'alice',
  cookie?: string,
): Promise<string> {
  const req = sample.http.post('/auth/login').send({ username, password: `${username}-password` });
  const res = await (cookie ? req.set('Cookie', cookie) : req).expect(200);
  return sessionCookie(res);
}

/** The session ID inside a signed session cookie (`name=s%3A<id>.<signature>`). */
export function sessionIdOf(cookie: string): string {
  return decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
}

/** The opaque handle the module stores and lists a cookie's session under. */
export function handleOf(cookie: string): string {
  return sessionHandle(sessionIdOf(cookie));
}
