import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadmeApp, type RunningApp } from '../support/readme-app.js';
import { askSocketIo, openSocketIo, socketIoClosed } from '../support/websocket-clients.js';

// README's GraphQL, WebSockets and Terminus sections, run as written on top of its quick start,
// wired the way each section says ("add the module to AppModule's imports", "the gateway to its
// providers", "TerminusModule, HealthController, SessionHealthIndicator"): the quick start's
// AppModule is imported by a module holding the integrations, which main.ts starts.
const README_FILES = [
  'src/users.service.ts',
  'src/auth.controller.ts',
  'src/main.ts',
  'src/graphql.module.ts',
  'src/live.gateway.ts',
  'src/health.controller.ts',
];
const WIRING = `
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SessionHealthIndicator } from 'nestjs-secure-session';
import { ApiGraphqlModule } from './graphql.module.js';
import { HealthController } from './health.controller.js';
import { LiveGateway } from './live.gateway.js';
import { AppModule as QuickStartModule } from './quick-start.module.js';

@Module({
  imports: [QuickStartModule, ApiGraphqlModule, TerminusModule],
  controllers: [HealthController],
  providers: [LiveGateway, SessionHealthIndicator],
})
export class AppModule {}
`;
const integrations = new ReadmeApp('integrations');
let app: RunningApp;
const sockets: Socket[] = [];

const json = { 'content-type': 'application/json' };
/** The `extensions.code` of a GraphQL response's first error. */
const errorCode = async (res: Response) =>
  ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code;
const graphql = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { ...json, ...headers },
    body: JSON.stringify({ query }),
  });
const openLive = async (cookie?: string) => {
  const socket = await openSocketIo(`${app.url}/live`, { cookie });
  sockets.push(socket);
  return socket;
};

async function login(): Promise<string> {
  const res = await fetch(`${app.url}/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
  });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

beforeAll(async () => {
  const files = ReadmeApp.readmeFilesAt(README_FILES);
  files.set(
    'src/quick-start.module.ts',
    ReadmeApp.readmeFilesAt(['src/app.module.ts']).get('src/app.module.ts')!,
  );
  files.set('src/app.module.ts', WIRING);
  integrations.compile(files);
  app = await integrations.start('src/main.js', {
    SESSION_SECRET: randomBytes(32).toString('base64'),
  });
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await app?.stop();
  integrations.remove();
});

describe("README's integration sections, run as written", () => {
  it('GraphQL: 401 UNAUTHENTICATED anonymous, the user with the cookie, 403 FORBIDDEN cross-site', async () => {
    const anonymous = await graphql('{ me }');
    expect(anonymous.status).toBe(401);
    expect(await errorCode(anonymous)).toBe('UNAUTHENTICATED');

    const cookie = await login();
    expect(await (await graphql('{ me }', { cookie })).json()).toEqual({ data: { me: 'demo' } });

    const crossSite = await graphql('mutation { logout }', {
      cookie,
      origin: 'https://evil.example',
    });
    expect(crossSite.status).toBe(403);
    expect(await errorCode(crossSite)).toBe('FORBIDDEN');
  });

  it('WebSockets: refuses a connection without a session, answers whoami, closes at logout', async () => {
    await expect(openLive()).rejects.toThrow('Unauthorized');
    const cookie = await login();
    const socket = await openLive(cookie);
    expect(await askSocketIo(socket, 'whoami')).toEqual({ answer: 'demo' });

    const closed = socketIoClosed(socket);
    const logout = await fetch(`${app.url}/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(204);
    const loggedOutAt = Date.now();
    expect(await closed).toBe('transport close');
    expect(Date.now() - loggedOutAt).toBeLessThan(1000);
  });

  it('Terminus: /health reports the session store up', async () => {
    const health = await fetch(`${app.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      info: { 'session-store': { status: 'up', store: 'memory' } },
    });
  });
});
