import type { TestProject } from 'vitest/node';
import { startPostgresServer } from './postgres-server.js';
import { startRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis the tests share: REDIS_URL, or a redis-server this setup started. */
    redisUrl: string;
    /** The PostgreSQL database the tests share: DATABASE_URL, or a server this setup started. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const stops: (() => Promise<void>)[] = [];
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL);
  } else {
    const server = await startRedisServer();
    stops.push(() => server.stop());
    project.provide('redisUrl', server.url);
  }
  if (process.env.DATABASE_URL) {
    project.provide('postgresUrl', process.env.DATABASE_URL);
  } else {
    const server = await startPostgresServer();
    stops.push(() => server.stop());
    project.provide('postgresUrl', server.url);
  }
  if (stops.length === 0) return;
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}
