import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { atExit, freePort } from './redis-server.js';

/**
 * A throwaway PostgreSQL on a free loopback port, in a temporary folder, that only the tests use.
 * The machine's own PostgreSQL (5432) is never touched.
 */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/sessions` (trust authentication, no password). */
  readonly url: string;
  readonly port: number;
  /** The postmaster's PID while it runs (stop/kill/restart signal it directly). */
  readonly pid: number;
  /** The cluster's data directory (kept across kill/start, removed by stop). */
  readonly dataDir: string;
  /** Stops the server (fast shutdown by PID) and removes its folder: it cannot start again. */
  stop(): Promise<void>;
  /** Stops the server by PID, then starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server by PID (fast shutdown) and keeps its data, so that start() brings it back. */
  kill(): Promise<void>;
  /** Starts the server on its port with its data (after kill()). */
  start(): Promise<void>;
}

// A hard bound on the server's life, so a test run killed with SIGKILL cannot leave it behind.
const MAX_LIFETIME_SECONDS = 1800;
const READY_TIMEOUT_MS = 20_000;
const DATABASE = 'sessions';

/** Starts a PostgreSQL cluster of its own; fails with install instructions when there is none. */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const owner = osUser();
  let port = await freePort();
  while (port === 5432) port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'nss-pg-'));
  const dataDir = join(folder, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  if (owner) {
    chownSync(folder, owner.uid, owner.gid);
    chownSync(dataDir, owner.uid, owner.gid);
  }
  const logFile = join(folder, 'postgres.log');
  const initdb = spawnSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { ...(owner ?? {}), encoding: 'utf8' },
  );
  if (initdb.status !== 0) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`initdb failed: ${initdb.error?.message ?? ''}${initdb.stderr ?? ''}`);
  }

  let child: ChildProcess | undefined;
  let pid = 0;
  let removed = false;

  const halt = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, the cluster is left clean.
    signal(pid, 'SIGINT');
    await exited;
  };

  const server: PostgresServer = {
    url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`,
    port,
    get pid() {
      return pid;
    },
    dataDir,
    async start() {
      if (removed) throw new Error('This PostgreSQL was stopped for good; start a new one.');
      if (child) return;
      const args = ['-D', dataDir, '-p', String(port), '-k', folder];
      for (const setting of [
        'listen_addresses=127.0.0.1',
        'fsync=off',
        'synchronous_commit=off',
        'full_page_writes=off',
        'max_connections=200',
      ]) {
        args.push('-c', setting);
      }
      const log = openSync(logFile, 'a');
      if (owner) chownSync(logFile, owner.uid, owner.gid);
      const proc = spawn(
        'timeout',
        [String(MAX_LIFETIME_SECONDS), join(bin, 'postgres'), ...args],
        {
          ...(owner ?? {}),
          stdio: ['ignore', log, log],
        },
      );
      child = proc;
      pid = await waitForReady(port, proc, dataDir, logFile);
    },
    kill: halt,
    async restart() {
      await halt();
      await server.start();
    },
    async stop() {
      await halt();
      removed = true;
      rmSync(folder, { recursive: true, force: true });
    },
  };
  atExit(() => {
    if (child && pid) signal(pid, 'SIGINT');
    // The postmaster may still be writing; a folder it recreates is in tmpdir and harmless.
    rmSync(folder, { recursive: true, force: true });
  });
  try {
    await server.start();
    await createDatabase(port);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Waits until the server accepts connections; returns the postmaster's PID. */
async function waitForReady(
  port: number,
  proc: ChildProcess,
  dataDir: string,
  logFile: string,
): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`postgres exited at start:\n${tail(logFile)}`);
    }
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 1000,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      // The postmaster.pid file's first line is the postmaster's PID (the child is `timeout`).
      return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      await client.end().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(
    `postgres on port ${port} not ready within ${READY_TIMEOUT_MS} ms:\n${tail(logFile)}`,
  );
}

async function createDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

/** PostgreSQL refuses to run as root: as root, initdb and postgres run as the `postgres` user. */
function osUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no `postgres` user to run it as: ' +
        "install Debian's postgresql package (it creates one) or run the tests as another user.",
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin, else `pg_config --bindir`. */
function postgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const found = candidates.find((dir) => existsSync(join(dir, 'postgres')));
  if (found) return found;
  throw new Error(
    'The tests need PostgreSQL binaries (initdb, postgres): install them (Debian/Ubuntu: ' +
      'apt-get install -y postgresql, macOS: brew install postgresql), set PG_BIN to their ' +
      'folder, or set DATABASE_URL to a PostgreSQL database the tests may write to.',
  );
}
