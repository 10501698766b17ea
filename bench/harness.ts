/**
 * What the benchmark scripts share: starting a benchmark app pinned to its core, logging in,
 * counting Redis commands, and an autocannon load against `GET /auth/me`, interleaved over apps.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import type { RedisClientType } from 'redis';

export const [APP_CPU, SIDE_CPU] = cpus().length >= 2 ? ['0', '1'] : [undefined, undefined];

/** The apps bench/apps/serve.ts can start. */
export type AppKind =
  | 'ceiling'
  | 'express-session'
  | 'usual'
  | 'nestjs-session'
  | 'secure-floor'
  | 'express-session-floor'
  | 'this'
  | 'this-bench'
  | 'fastify-ceiling'
  | 'fastify-secure-floor'
  | 'fastify-session'
  | 'fastify-secure-session'
  | 'this-fastify'
  | 'this-postgres'
  | 'connect-pg-simple';

const run = promisify(execFile);
export const pinned = (cpu: string | undefined, command: string[]) =>
  cpu ? ['taskset', '-c', cpu, ...command] : command;
export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export interface RunningApp {
  kind: AppKind;
  base: string;
  process: ChildProcess;
}

/**
 * Starts an app on the app core with this environment; resolves once it listens. Its stderr is
 * the benchmark's, or piped (`process.stderr`) for a benchmark that reads the app's log.
 */
export async function startApp(
  kind: AppKind,
  env: NodeJS.ProcessEnv,
  stderr: 'inherit' | 'pipe' = 'inherit',
): Promise<RunningApp> {
  const [command, ...args] = pinned(APP_CPU, [
    process.execPath,
    'dist-bench/bench/apps/serve.js',
    kind,
  ]);
  const child = spawn(command!, args, { env, stdio: ['ignore', 'pipe', stderr] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /READY (\d+)/.exec(chunk.toString());
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return { kind, base: `http://127.0.0.1:${port}`, process: child };
}

export async function stopApp(app: RunningApp): Promise<void> {
  const exited = new Promise((resolve) => app.process.once('exit', resolve));
  app.process.kill('SIGTERM');
  await exited;
}

/** A browser's User-Agent, which a session keeps: its size counts in a session's bytes. */
export const BROWSER_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const cookieOf = (res: Response) => res.headers.getSetCookie()[0]?.split(';')[0] ?? '';

/** Logs in (the sample as alice; the other apps as `user`) and returns the session cookie. */
export async function login(app: RunningApp, user = '1', userAgent = 'bench'): Promise<string> {
  const res =
    app.kind === 'this'
      ? await fetch(`${app.base}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': userAgent },
          body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
        })
      : // No body, so no content type: Fastify answers 400 to an empty JSON body.
        await fetch(`${app.base}/login/${user}`, {
          method: 'POST',
          headers: { 'user-agent': userAgent },
        });
  if (res.status !== 200) throw new Error(`${app.kind} login: ${res.status}`);
  // express-session writes the session before it ends the body, not before the headers.
  await res.arrayBuffer();
  return cookieOf(res);
}

/**
 * Logs in `count` times, `concurrency` at a time, each from a fresh client; `user(i)` names the
 * i-th login's user. Resolves the cookies in the order of `i`.
 */
export async function loginMany(
  app: RunningApp,
  count: number,
  user: (i: number) => string,
  userAgent?: string,
  concurrency = 32,
): Promise<string[]> {
  const cookies: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        cookies[i] = await login(app, user(i), userAgent);
      }
    }),
  );
  return cookies;
}

/** Sends each cookie to `GET /auth/me`, 32 at a time; resolves the statuses (0: no answer). */
export async function statusesOf(app: RunningApp, cookies: string[]): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < cookies.length) {
        const res = await fetch(`${app.base}/auth/me`, {
          headers: { cookie: cookies[next++]! },
          signal: AbortSignal.timeout(60_000),
        }).catch(() => undefined);
        statuses.push((await res?.arrayBuffer().catch(() => undefined)) ? res!.status : 0);
      }
    }),
  );
  return statuses;
}

/** Commands the app ran on Redis, summed over every server given (each primary of a cluster). */
export class CommandCounter {
  constructor(private readonly servers: RedisClientType[]) {}

  async reset(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.configResetStat()));
  }

  async calls(): Promise<number> {
    let total = 0;
    for (const calls of (await this.byName()).values()) total += calls;
    return total;
  }

  /** Calls per command name. Redis counts the commands a script runs too, beside its EVALSHA. */
  async byName(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const server of this.servers) {
      const info = await server.info('commandstats');
      for (const [, name, calls] of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
        // The benchmark's own INFO and CONFIG RESETSTAT, and replicas' acknowledgements.
        if (!/^(info|config\|resetstat|replconf)/.test(name!))
          counts.set(name!, (counts.get(name!) ?? 0) + Number(calls));
      }
    }
    return counts;
  }
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  commandsPerRequest: number;
  /** Requests answered in the window. */
  requests: number;
}

/** Runs autocannon (on the side core) against `GET /auth/me` with the cookie. */
export async function load(
  app: RunningApp,
  cookie: string,
  seconds: number,
  connections: number,
  commands: CommandCounter,
): Promise<LoadResult> {
  const headers = cookie ? ['-H', `Cookie=${cookie}`] : [];
  const command = pinned(SIDE_CPU, [
    process.execPath,
    'node_modules/autocannon/autocannon.js',
    '-j',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    ...headers,
    `${app.base}/auth/me`,
  ]);
  await commands.reset();
  const { stdout } = await run(command[0]!, command.slice(1), { maxBuffer: 64 * 1024 * 1024 });
  const calls = await commands.calls();
  const result = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${app.kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    commandsPerRequest: calls / result.requests.total,
    requests: result.requests.total,
  };
}

/** An app under interleaved load: the cookie it is read with, and its Redis's command counter. */
export interface Contender {
  app: RunningApp;
  cookie: string;
  commands: CommandCounter;
  /** In the progress lines; the app's kind when not given. */
  label?: string;
}

/**
 * Loads each app in turn for `rounds` rounds, each round starting one app further on, so that no
 * app always runs right after the same one; 3 s of warm-up before each window. Resolves each
 * app's windows, in the order the apps were given.
 */
export async function interleaved(
  contenders: Contender[],
  rounds: number,
  seconds: number,
  connections: number,
): Promise<LoadResult[][]> {
  const results = contenders.map((): LoadResult[] => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + round) % contenders.length;
      const { app, cookie, commands, label = app.kind } = contenders[i]!;
      await load(app, cookie, 3, connections, commands); // warm-up
      results[i]!.push(await load(app, cookie, seconds, connections, commands));
      console.log(`round ${round + 1} ${label}: ${results[i]!.at(-1)!.rps.toFixed(0)} req/s`);
    }
  }
  return results;
}

/** The medians of an app's windows. */
export function medians(windows: LoadResult[]) {
  return {
    rps: median(windows.map((r) => r.rps)),
    p50: median(windows.map((r) => r.p50)),
    p99: median(windows.map((r) => r.p99)),
    commands: median(windows.map((r) => r.commandsPerRequest)),
  };
}
