import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Socket } from 'socket.io-client';
import { SESSION_STORE } from '../../lib/session.constants.js';
import { inspectRedis } from '../support/redis-inspect.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { login, startSample, type SampleUnderTest } from '../support/sample-app.js';
import { openSocketIo, socketIoClosed } from '../support/websocket-clients.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Longer than the 2^31-1 ms (24.8 days) a Node timer can wait.
const THIRTY_DAYS = 30 * 24 * 60 * 60 * 1000;

// Its own Redis, so that no other test file's traffic is counted.
describe.each(['redis', 'memory'] as const)(
  'J39. timers with timeouts of 30 days (sample on %s)',
  (kind) => {
    let server: RedisServer;
    let sample: SampleUnderTest;
    let redis: Awaited<ReturnType<typeof inspectRedis>>;
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);

    beforeAll(async () => {
      server = await startRedisServer();
      sample = await startSample({
        REDIS_URL: kind === 'redis' ? server.url : undefined,
        SESSION_IDLE_TIMEOUT: String(THIRTY_DAYS),
        SESSION_ABSOLUTE_TIMEOUT: String(THIRTY_DAYS),
      });
      await sample.app.listen(0, '127.0.0.1');
      redis = await inspectRedis(server.url);
      process.on('warning', onWarning);
    });
    afterEach(() => vi.restoreAllMocks());
    afterAll(async () => {
      process.off('warning', onWarning);
      await redis?.close();
      await sample?.close();
      await server?.stop();
    });

    // Redis commands since the last CONFIG RESETSTAT, without the test's own and the ended-session
    // subscription's heartbeat (a PUBLISH each second, whatever the traffic). None on the memory
    // store, whose reads the spy on the store counts.
    const moduleCommands = async () => {
      const {
        'config|resetstat': _,
        info: __,
        publish: ___,
        ...calls
      } = await redis.commandCalls();
      return Object.values(calls).reduce((sum, n) => sum + n, 0);
    };

    const open = (cookie: string): Promise<Socket> => {
      const { port } = sample.app.getHttpServer().address() as AddressInfo;
      return openSocketIo(`http://127.0.0.1:${port}/realtime`, { cookie });
    };

    it('J39: an idle live connection does not poll the store, and stops costing reads once closed', async () => {
      const store = sample.app.get<{ read(handle: string): Promise<unknown> }>(SESSION_STORE);
      const reads = vi.spyOn(store, 'read');
      const socket = await open(await login(sample));
      await redis.client.configResetStat();
      await sleep(2000);
      // The upgrade's read, and nothing while the connection idles.
      expect(reads.mock.calls.length).toBeLessThanOrEqual(2);
      expect(await moduleCommands()).toBeLessThanOrEqual(2);
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);

      const closed = socketIoClosed(socket);
      socket.close();
      await closed;
      await sleep(200); // the server sees the close
      reads.mockClear();
      await redis.client.configResetStat();
      await sleep(1000);
      expect(reads).not.toHaveBeenCalled();
      expect(await moduleCommands()).toBe(0);
    });
  },
);
