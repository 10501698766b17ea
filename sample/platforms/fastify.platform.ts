import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import fastifyWebsocket from '@fastify/websocket';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { mercuriusGraphqlModule } from '../graphql/mercurius-graphql.module.js';
import type { SampleAppInit, SamplePlatform } from './sample-platform.js';

const GRAPHQL_PATH = '/graphql';

/**
 * The sample on Fastify (`SAMPLE_PLATFORM=fastify`): the same headers through Nest's middleware
 * (@fastify/middie, on the raw request and response, which Fastify merges into every reply),
 * Mercurius at /graphql. Fastify sends no `X-Powered-By`.
 */
export const fastifyPlatform: SamplePlatform = {
  async createApp({ module, config, logger, headers }: SampleAppInit) {
    // Addresses, names ('loopback') or a boolean, as Express takes them; Fastify trusts no hop
    // count, which the config refuses for this platform.
    const { trustProxy = false } = config;
    const adapter = new FastifyAdapter({
      trustProxy: typeof trustProxy === 'number' ? false : trustProxy,
      // Long path parameters (a malformed session handle) get the contract's 404, as on Express,
      // not Fastify's 414 past its default of 100 characters.
      routerOptions: { maxParamLength: 1024 },
    });
    const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
      logger,
      abortOnError: false,
    });
    app.use(headers);
    // Mercurius runs subscriptions on @fastify/websocket, which takes every upgrade through
    // Fastify's router and answers 404 on the socket of any path it has no route for: socket.io's
    // handshakes (/socket.io/) among them. Registered here, before Mercurius (which then uses
    // it), it is shown only the upgrades of /graphql; socket.io keeps its own.
    await app.register(fastifyWebsocket, {
      options: { maxPayload: 1_048_576, server: upgradesOf(app.getHttpServer(), GRAPHQL_PATH) },
    });
    return app;
  },
  graphqlModule: mercuriusGraphqlModule,
  // Mercurius serves GraphiQL on a path of its own (GET /graphql runs a query), and a service
  // worker that caches its scripts from unpkg.com.
  graphiqlPaths: ['/graphiql', '/graphiql/sw.js'],
};

/** The server's `upgrade` events for one path, for a listener that must not see the others. */
function upgradesOf(server: Server, path: string): Server {
  const upgrades = new EventEmitter();
  server.on('upgrade', (req: { url?: string }, ...rest: unknown[]) => {
    if (req.url?.split('?', 1)[0] === path) upgrades.emit('upgrade', req, ...rest);
  });
  // @fastify/websocket only adds and removes its `upgrade` listener on the server it is given.
  return upgrades as Server;
}
