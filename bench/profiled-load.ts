/**
 * One load window of a bench app under V8's CPU profiler (serve.ts starts and stops it on
 * SIGUSR2, so that the profile covers the window only), with what each core and some other
 * processes (a database's) spent meanwhile, from Linux's /proc.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CpuProfile } from './cpu-profile.js';
import {
  load,
  login,
  startApp,
  stopApp,
  type AppKind,
  type CommandCounter,
  type LoadResult,
  type RunningApp,
} from './harness.js';

/** What one profiled window measured. */
export interface ProfiledWindow {
  result: LoadResult;
  profile: CpuProfile;
  /** Each core's busy share of the window, 0 to 1 (/proc/stat). */
  coresBusy: number[];
  /** CPU time of the app's process, µs per request. */
  appUs: number;
  /** CPU time of the `others` processes, µs per request (/proc/<pid>/stat). */
  othersUs: number;
  /** The app's read and write system calls, and its context switches, per request. */
  appCalls: ProcessCalls;
}

/** System calls (/proc/<pid>/io: read-like and write-like) and context switches of a process. */
export interface ProcessCalls {
  reads: number;
  writes: number;
  switches: number;
}

export interface ProfiledLoadOptions {
  env: NodeJS.ProcessEnv;
  seconds: number;
  connections: number;
  commands: CommandCounter;
  /** Processes whose CPU time the window reports besides the app's (a database's backends). */
  others?: () => Promise<number[]>;
}

/** Starts the app with the profiler armed, logs in, warms up 3 s, then profiles one window. */
export async function profiledLoad(
  kind: AppKind,
  { env, seconds, connections, commands, others = async () => [] }: ProfiledLoadOptions,
): Promise<ProfiledWindow> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const file = join(dir, `${kind}.cpuprofile`);
  const app = await startApp(kind, { ...env, BENCH_CPU_PROFILE: file });
  try {
    const cookie = await login(app);
    await load(app, cookie, 3, connections, commands); // warm-up
    await toggleProfiler(app, 'PROFILING');
    const otherPids = await others();
    const pid = app.process.pid!;
    const before = { cores: coreTicks(), app: processTicks([pid]), calls: processCalls(pid) };
    const othersBefore = processTicks(otherPids);
    const result = await load(app, cookie, seconds, connections, commands);
    const cores = coreTicks();
    const appTicks = processTicks([pid]) - before.app;
    const calls = processCalls(pid);
    const othersTicks = processTicks(otherPids) - othersBefore;
    await toggleProfiler(app, 'PROFILED');
    const perRequest = (ticks: number) => ((ticks / TICKS_PER_SECOND) * 1e6) / result.requests;
    return {
      result,
      profile: JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
      coresBusy: cores.map(
        (c, i) => (c.busy - before.cores[i]!.busy) / (c.total - before.cores[i]!.total),
      ),
      appUs: perRequest(appTicks),
      othersUs: perRequest(othersTicks),
      appCalls: {
        reads: (calls.reads - before.calls.reads) / result.requests,
        writes: (calls.writes - before.calls.writes) / result.requests,
        switches: (calls.switches - before.calls.switches) / result.requests,
      },
    };
  } finally {
    await stopApp(app);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sends SIGUSR2 and waits for the app to print `line`. */
async function toggleProfiler(app: RunningApp, line: string): Promise<void> {
  const printed = new Promise<void>((resolve) => {
    const listener = (chunk: Buffer) => {
      if (!chunk.toString().includes(line)) return;
      app.process.stdout!.off('data', listener);
      resolve();
    };
    app.process.stdout!.on('data', listener);
  });
  app.process.kill('SIGUSR2');
  await printed;
}

// Linux's USER_HZ, the unit of /proc's CPU times, is 100 on every architecture Node runs on.
const TICKS_PER_SECOND = 100;

/** Busy and total ticks of each core since boot. */
function coreTicks(): { busy: number; total: number }[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => {
      const ticks = line.split(/\s+/).slice(1).map(Number);
      const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
      // idle and iowait
      return { busy: total - ticks[3]! - ticks[4]!, total };
    });
}

/** User and system ticks the processes have used (0 for one that is gone). */
function processTicks(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The fields after the command name, which is in parentheses: utime and stime are 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited.
    }
  }
  return sum;
}

function processCalls(pid: number): ProcessCalls {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (text: string, name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    reads: field(io, 'syscr'),
    writes: field(io, 'syscw'),
    switches:
      field(status, 'voluntary_ctxt_switches') + field(status, 'nonvoluntary_ctxt_switches'),
  };
}
