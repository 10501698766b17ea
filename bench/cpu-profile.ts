/**
 * Summarises a V8 CPU profile (the `.cpuprofile` JSON that `node --cpu-prof` and the inspector's
 * Profiler write) of a bench app under load: self time by group (this module's code, the bench
 * app, Fastify, Nest, rxjs, the Redis and PostgreSQL clients, Node's internals, V8), the top functions by self
 * time, and the time spent with one of this module's frames on the stack — each also in
 * microseconds per request served while the profile ran.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
/** The parts of a `.cpuprofile` this summary reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export const IDLE = 'idle (the event loop waiting: for Redis, for the load tool)';
export const MODULE = 'this module (dist-bench/lib)';
export const BENCH_APP = 'bench app (controllers, floor code)';

const FASTIFY_PACKAGES = new Set([
  'fastify',
  'avvio',
  'find-my-way',
  'light-my-request',
  'abstract-logging',
  'pino',
  'pino-std-serializers',
  'toad-cache',
  'process-warning',
  'rfdc',
  'fastq',
  'reusify',
  'secure-json-parse',
  'ret',
  'safe-regex2',
  'json-schema-ref-resolver',
  'cookie',
  'set-cookie-parser',
  'proxy-addr',
  'forwarded',
  'ipaddr.js',
]);

// node-postgres and the packages it is made of.
const POSTGRES_CLIENT = /^(pg|pg-[a-z0-9-]+|pgpass|postgres-[a-z]+|split2)$/;

/** The package a file of node_modules belongs to (`@scope/name` or `name`). */
function packageOf(url: string): string | undefined {
  const at = url.lastIndexOf('/node_modules/');
  if (at === -1) return undefined;
  const [first, second] = url.slice(at + '/node_modules/'.length).split('/');
  return first!.startsWith('@') ? `${first}/${second}` : first;
}

/** The group a frame's self time is counted in. */
export function groupOf({ functionName, url }: CallFrame): string {
  if (functionName === '(idle)') return IDLE;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 (program: compiler, runtime, not attributed)';
  if (url.includes('/dist-bench/lib/')) return MODULE;
  if (url.includes('/dist-bench/bench/')) return BENCH_APP;
  const pkg = packageOf(url);
  if (pkg) {
    if (pkg.startsWith('@nestjs/') || pkg === 'reflect-metadata')
      return 'Nest (core, common, platform adapter)';
    if (pkg === 'rxjs') return "rxjs (Nest's interceptor pipeline)";
    if (pkg.startsWith('@fastify/') || pkg.startsWith('fast-') || FASTIFY_PACKAGES.has(pkg))
      return 'Fastify and its dependencies';
    if (pkg === 'redis' || pkg.startsWith('@redis/') || pkg === 'cluster-key-slot')
      return 'Redis client (node-redis)';
    if (POSTGRES_CLIENT.test(pkg)) return 'PostgreSQL client (node-postgres)';
    if (pkg === 'path-to-regexp') return "this module's dependency path-to-regexp";
    return `other packages (${pkg})`;
  }
  if (url.startsWith('node:')) return "Node's internals (node:*: http, net, crypto, streams)";
  return 'V8 builtins and native code (JSON, crypto bindings, …)';
}

const where = ({ url, lineNumber }: CallFrame) => {
  const file = url.replace(/^.*\/(dist-bench|node_modules)\//, '$1/').replace(/^file:\/\//, '');
  return file ? `${file}:${lineNumber + 1}` : '(native)';
};
const frameKey = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} ${where(frame)}`;

/** Self time (µs) per group and per function; inclusive time under `own`'s frames, per function. */
export function aggregate(profile: CpuProfile, own: string) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const groups = new Map<string, number>();
  const functions = new Map<string, { group: string; us: number }>();
  const ownInclusive = new Map<string, number>();
  let total = 0;
  let underOwn = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample's time is the interval up to the next one (as Chrome DevTools counts it).
    const us = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === '(root)') continue;
    total += us;
    const group = groupOf(node.callFrame);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const key = frameKey(node.callFrame);
    const entry = functions.get(key) ?? { group, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    // Every function of `own` on this sample's stack, each once (recursion counted once).
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (groupOf(frame) === own) seen.add(frameKey(frame));
    }
    if (seen.size > 0) underOwn += us;
    for (const name of seen) ownInclusive.set(name, (ownInclusive.get(name) ?? 0) + us);
  }
  return { total, groups, functions, ownInclusive, underOwn };
}

/**
 * A markdown summary of one app's profile, with `requests` served while it ran; `own` is the group
 * whose code does the session work (this module's, or the floor's in the bench app).
 */
export function summariseProfile(
  title: string,
  profile: CpuProfile,
  requests: number,
  own: string,
  topFunctions = 25,
): string {
  const { total, groups, functions, ownInclusive, underOwn } = aggregate(profile, own);
  const busy = total - (groups.get(IDLE) ?? 0);
  const perRequest = (us: number) => (us / requests).toFixed(1);
  const share = (us: number, of: number) => `${((100 * us) / of).toFixed(1)} %`;
  const sorted = <T>(map: Map<string, T>, us: (value: T) => number) =>
    [...map].sort(([, a], [, b]) => us(b) - us(a));
  return [
    `### ${title}`,
    '',
    `${(total / 1e6).toFixed(1)} s profiled, ${requests} requests: ${perRequest(total)} µs per request in all, ` +
      `${perRequest(busy)} µs of it busy (not idle).`,
    '',
    '| group (self time) | µs / request | % of busy time |',
    '|---|---|---|',
    ...sorted(groups, (us) => us).map(
      ([group, us]) =>
        `| ${group} | ${perRequest(us)} | ${group === IDLE ? '—' : share(us, busy)} |`,
    ),
    `| **with a frame of ${own} on the stack (inclusive: what its code calls too)** | ${perRequest(underOwn)} | ${share(underOwn, busy)} |`,
    '',
    `Top ${topFunctions} functions by self time:`,
    '',
    '| function | group | µs / request | % of busy time |',
    '|---|---|---|---|',
    ...sorted(functions, (f) => f.us)
      .filter(([, f]) => f.group !== IDLE)
      .slice(0, topFunctions)
      .map(
        ([name, f]) => `| \`${name}\` | ${f.group} | ${perRequest(f.us)} | ${share(f.us, busy)} |`,
      ),
    '',
    ...(ownInclusive.size === 0
      ? []
      : [
          `Functions of ${own} by inclusive time (self and everything they call, Redis client and crypto included; nested ones overlap):`,
          '',
          '| function | µs / request | % of busy time |',
          '|---|---|---|',
          ...sorted(ownInclusive, (us) => us)
            .slice(0, 15)
            .map(([name, us]) => `| \`${name}\` | ${perRequest(us)} | ${share(us, busy)} |`),
          '',
        ]),
  ].join('\n');
}
