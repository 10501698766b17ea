import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway redis-server on a free loopback port that only the tests use. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Whether this test run has the server started (not stopped or crashed). */
  readonly running: boolean;
  /** Stops the server (with `persistent`, its data is written to disk first). */
  stop(): Promise<void>;
  /** Starts it again on the same port (with `persistent`, with the data it had). */
  start(): Promise<void>;
  /** Kills the server with SIGKILL, as a crash would: no shutdown, nothing written. */
  crash(): Promise<void>;
}

// A hard bound on the server's life, so a crashed test run cannot leave it behind.
const MAX_LIFETIME_SECONDS = 1800;
const READY_TIMEOUT_MS = 10_000;

/** How to start the server. */
export interface RedisServerOptions {
  /** Keep data across stop/start (append-only file). */
  persistent?: boolean;
  /** Pin the server to this CPU core (Linux `taskset`), for benchmarks. */
  cpu?: number;
  /** More `redis-server` arguments, e.g. `['--enable-debug-command', 'yes']`. */
  args?: string[];
  /** This port instead of a free one. */
  port?: number;
  /** A configuration file, read before the arguments (Sentinel needs one it can rewrite). */
  configFile?: string;
}

/** Starts redis-server from PATH; fails with install instructions when there is none. */
export async function startRedisServer({
  persistent = false,
  cpu,
  args: extra = [],
  port: givenPort,
  configFile,
}: RedisServerOptions = {}): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'The tests need Redis: install redis-server (Debian/Ubuntu: apt-get install -y redis-server, ' +
        'macOS: brew install redis) or set REDIS_URL to a Redis the tests may write to.',
    );
  }
  const port = givenPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'nss-redis-'));
  let child: ChildProcess | undefined;
  let pid: number | undefined;

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined;
    },
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
      args.push('--appendonly', persistent ? 'yes' : 'no', '--appendfsync', 'always', ...extra);
      if (configFile) args.unshift(configFile);
      const command = ['timeout', String(MAX_LIFETIME_SECONDS), 'redis-server', ...args];
      if (cpu !== undefined) command.unshift('taskset', '-c', String(cpu));
      const proc = spawn(command[0]!, command.slice(1), { stdio: 'ignore' });
      child = proc;
      await waitForPong(port);
      pid = await serverPid(port);
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    },
    async crash() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || pid === undefined) return;
      // `timeout` is the child; the server under it is killed directly, so it cannot shut down.
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      process.kill(pid, 'SIGKILL');
      await exited;
    },
  };
  await server.start();
  atExit(() => {
    child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}

const exitHandlers: (() => void)[] = [];

/** Runs `handler` when the test process exits (one 'exit' listener for every server). */
export function atExit(handler: () => void): void {
  if (exitHandlers.length === 0) process.once('exit', () => exitHandlers.forEach((h) => h()));
  exitHandlers.push(handler);
}

/** A TCP port on loopback that nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Waits until the server on `port` answers PING. */
export async function waitForPong(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms`);
}

async function ping(port: number): Promise<boolean> {
  return (await inlineCommand(port, 'PING'))?.startsWith('+PONG') ?? false;
}

async function serverPid(port: number): Promise<number | undefined> {
  const info = await inlineCommand(port, 'INFO server');
  const pid = /process_id:(\d+)/.exec(info ?? '')?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Sends one inline command and returns the first chunk of the reply, or undefined on failure. */
function inlineCommand(port: number, command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => socket.destroy());
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.once('error', () => resolve(undefined));
    socket.once('close', () => resolve(undefined));
  });
}
