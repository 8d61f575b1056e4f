/**
 * Where a server's CPU time goes, by phase of a request: a V8 CPU profile of
 * the server's main thread (taken by bench/server-probe.ts), each sample charged to the
 * innermost frame on its stack that belongs to a phase. Sampling, not
 * instrumentation: the profile adds no timers to the code it measures, and
 * the figures are CPU time, steady on a busy machine where wall time is not.
 *
 * On PostgreSQL the database client's socket writes are charged to SQL (Node's
 * socket code under the client's frames), but reading its replies starts at
 * the event loop, as reading a request does, and is charged to HTTP.
 */

/** The phases of a stored event, in the order a request meets them. */
export const PHASES = [
  'HTTP and parsing',
  'validation',
  'key check',
  'ingestion (grouping, locks, ordering)',
  'engine',
  'serialisation',
  'SQL (statements and commit)',
  'reply',
  'garbage collection',
  'other',
] as const;
/** Samples under the module loader: the process starting, not a request. */
const LOADING = (frame: CallFrame) => frame.url.startsWith('node:internal/modules') || frame.url.includes('/node_modules/tsx/');
export type Phase = (typeof PHASES)[number];

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Rules from the most specific: the first that matches a frame gives its phase. */
const RULES: Array<[Phase, (frame: CallFrame) => boolean]> = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['key check', (f) => f.url.includes('/server/auth.ts')],
  ['engine', (f) => f.url.includes('/engine/') || f.url.includes('/json-logic-js/') || f.url.includes('/xstate/')],
  ['serialisation', (f) => f.url === '' && f.functionName === 'stringify'],
  ['SQL (statements and commit)', (f) => /\/(kysely|better-sqlite3|pg|pg-protocol)\/|\/server\/store\//.test(f.url)],
  ['validation', (f) => /\/(zod|@hono\/zod-openapi|@hono\/zod-validator)\/|\/server\/(event-input|limits|api-schemas)\.ts/.test(f.url)],
  ['ingestion (grouping, locks, ordering)', (f) => /\/server\/(ingestion|lead-queue|lead-history|feedback)\.ts/.test(f.url)],
  ['reply', (f) => /\/server\/(views|problem)\.ts/.test(f.url)],
  ['serialisation', (f) => f.url.includes('/server/routes/events.ts')],
  [
    'HTTP and parsing',
    (f) => /\/(hono|@hono\/node-server)\/|^node:(_http|http|net|stream|internal\/(http|stream|streams|net))/.test(f.url),
  ],
];

function phaseOf(frame: CallFrame): Phase | undefined {
  for (const [phase, matches] of RULES) if (matches(frame)) return phase;
  return undefined;
}

/**
 * CPU milliseconds per phase in one profile. `(idle)`, `(program)` (time
 * outside JavaScript the profiler cannot place) and loading modules at start
 * are left out of the phases and reported apart.
 */
export function phaseTimes(profile: CpuProfile): { phases: Map<Phase, number>; idle: number; program: number; loading: number } {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const phaseOfNode = new Map<number, Phase | 'loading'>();
  const isSql = (frame: CallFrame) => /\/(kysely|pg|pg-protocol|pg-pool)\/|\/server\/store\//.test(frame.url);
  const underSql = (id: number): boolean => {
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) if (isSql(byId.get(up)!.callFrame)) return true;
    return false;
  };
  const resolve = (id: number): Phase | 'loading' => {
    const known = phaseOfNode.get(id);
    if (known) return known;
    // Loading modules anywhere up the stack: start-up work, whatever runs inside it.
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
      if (LOADING(byId.get(up)!.callFrame)) {
        phaseOfNode.set(id, 'loading');
        return 'loading';
      }
    }
    // The innermost frame with a phase: this one, or the nearest caller that has one.
    const up = parent.get(id);
    const frame = byId.get(id)!.callFrame;
    let phase = phaseOf(frame) ?? (up === undefined ? 'other' : resolve(up));
    // Node's socket code serves the database client too (PostgreSQL): a write the client makes is SQL, not HTTP.
    if (phase === 'HTTP and parsing' && frame.url.startsWith('node:') && up !== undefined && underSql(up))
      phase = 'SQL (statements and commit)';
    phaseOfNode.set(id, phase);
    return phase;
  };
  const phases = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  let idle = 0;
  let program = 0;
  let loading = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)') idle += ms;
    else if (name === '(program)') program += ms;
    else {
      const phase = resolve(id);
      if (phase === 'loading') loading += ms;
      else phases.set(phase, phases.get(phase)! + ms);
    }
  });
  return { phases, idle, program, loading };
}
