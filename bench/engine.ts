/**
 * `npm run bench`: events evaluated per second with the default rule set, the
 * engine's compiled conditions against other JSON-Logic evaluators running the
 * same algorithm and against a hand-written score, all in one run, checked to
 * give identical results. See bench/README.md.
 *
 * Options: --leads N --events N --seed N --slices N --only name,… --all
 * (names: evaluate, evaluateBatch, json-logic-js, json-logic-engine,
 * json-logic-engine-run, hand-written, conditions; --all adds the opt-in ones).
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  evaluate,
  evaluateBatch,
  isKnownEventType,
  leadEventSchema,
  loadRuleSetOrThrow,
  truthy,
  type CompiledRuleSet,
  type LeadEvent,
  type LeadState,
} from '../engine/index';
import { compileLogic, type CompiledLogic } from '../engine/logic';
import {
  compileWithJsonLogicEngine,
  interpretWithJsonLogicEngine,
  interpretWithJsonLogicJs,
  scoreByHand,
  withLogicEvaluator,
  type HandScore,
  type LogicEvaluator,
} from './baselines';
import { DEFAULT_WORKLOAD, Random, generateWorkload, type Workload } from './workload';

const RULES_FILE = 'rules/v1.json';
/** The issue's goal for the full evaluate step against json-logic-js. */
const GOAL_VS_JSON_LOGIC_JS = 10;
/**
 * By default each contender runs the whole workload alone, with only its own
 * states in memory. With --slices N the workload is cut into N consecutive time
 * slices and the contenders take turns on each, so a slow spell of a shared
 * machine hits all of them alike; but then every contender's states are in
 * memory at once, and each garbage collection costs everyone more.
 */
const SLICES = 1;
/** Warm-up workload: same generator, another seed, this share of the size. */
const WARM_UP_SHARE = 0.05;
const WARM_UP_SEED = 7;
/** Condition calls sampled during the warm-up for the JSON-Logic-alone table: few enough to stay in cache. */
const CONDITION_SAMPLES = 2_000;
const CONDITION_SAMPLE_SEED = 11;
const CONDITION_REPEATS = 250;
const CONDITION_TURNS = 10;

const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: String(DEFAULT_WORKLOAD.leads) },
    events: { type: 'string', default: String(DEFAULT_WORKLOAD.events) },
    seed: { type: 'string', default: String(DEFAULT_WORKLOAD.seed) },
    slices: { type: 'string', default: String(SLICES) },
    only: { type: 'string' },
    all: { type: 'boolean', default: false },
  },
});

/** Collecting garbage before each timed run keeps one run's garbage out of the next one's time. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function packageVersion(name: string): string {
  const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

type Outcome = { kind: 'states'; states: Map<string, LeadState> } | { kind: 'scores'; scores: Map<string, HandScore> };

/** One contender's pass over the workload, fed slice by slice in time order. */
interface Session {
  feed(events: readonly LeadEvent[]): void;
  finish(): Outcome;
  /** Anything worth knowing about how the pass ran. */
  note?(): string;
}

/** One way of running the workload. */
interface Contender {
  key: string;
  label: string;
  path: string;
  /** Run only when named in --only, or with --all. */
  optIn?: boolean;
  start(): Session;
}

/** Event by event through the public, pure `evaluate`, as the server does: load, evaluate, store. */
function evaluateInto(ruleSet: CompiledRuleSet, states: Map<string, LeadState>, events: readonly LeadEvent[]): Map<string, LeadState> {
  for (const event of events) states.set(event.leadId, evaluate(ruleSet, states.get(event.leadId) ?? null, event).state);
  return states;
}

function evaluateSession(ruleSet: CompiledRuleSet): Session {
  const states = new Map<string, LeadState>();
  return {
    feed: (events) => evaluateInto(ruleSet, states, events),
    finish: () => ({ kind: 'states', states }),
  };
}

/** One `evaluateBatch` call per slice, given the states so far, as a replay in chunks would call it. */
function batchSession(ruleSet: CompiledRuleSet): Session {
  const states = new Map<string, LeadState>();
  let copied = 0;
  return {
    feed(events) {
      for (const [leadId, state] of evaluateBatch(ruleSet, events, states)) {
        if (states.has(leadId)) copied += 1;
        states.set(leadId, state);
      }
    },
    finish: () => ({ kind: 'states', states }),
    note: () =>
      copied === 0 ? '' : `evaluateBatch copied ${integer.format(copied)} known states at slice starts (evaluate copies one per event)`,
  };
}

function handWrittenSession(): Session {
  const scores = new Map<string, HandScore>();
  return {
    feed(events) {
      for (const event of events) scoreByHand(scores, event);
    },
    finish: () => ({ kind: 'scores', scores }),
  };
}

function contenders(ours: CompiledRuleSet): Contender[] {
  const jsonLogicEngine = `json-logic-engine ${packageVersion('json-logic-engine')}`;
  return [
    { key: 'evaluate', label: 'leadflow (compiled closures)', path: 'evaluate', start: () => evaluateSession(ours) },
    { key: 'evaluateBatch', label: 'leadflow (compiled closures)', path: 'evaluateBatch', start: () => batchSession(ours) },
    {
      key: 'json-logic-js',
      label: `json-logic-js ${packageVersion('json-logic-js')} (interpreted)`,
      path: 'evaluate',
      start: () => evaluateSession(withLogicEvaluator(ours, interpretWithJsonLogicJs)),
    },
    {
      key: 'json-logic-engine',
      label: `${jsonLogicEngine} (compiled)`,
      path: 'evaluate',
      start: () => evaluateSession(withLogicEvaluator(ours, compileWithJsonLogicEngine())),
    },
    {
      key: 'json-logic-engine-run',
      label: `${jsonLogicEngine} (interpreted)`,
      path: 'evaluate',
      optIn: true,
      start: () => evaluateSession(withLogicEvaluator(ours, interpretWithJsonLogicEngine())),
    },
    { key: 'hand-written', label: 'hand-written v1 (score + band only)', path: 'score only', start: handWrittenSession },
  ];
}

/** Consecutive slices of about equal size. */
function slicesOf<T>(items: readonly T[], count: number): T[][] {
  const size = Math.ceil(items.length / count);
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;
const ratio = (value: number) => `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;

function fingerprint(state: LeadState): string {
  return createHash('sha1').update(JSON.stringify(state)).digest('base64');
}

function scoreLine(total: number, fit: number, engagement: number, band: string): string {
  return `total ${total}, fit ${fit}, engagement ${engagement}, ${band}`;
}

/**
 * Compares every run with the first stateful one. Only fingerprints of the
 * reference are kept, so no run pays for another's states in its garbage
 * collections; a differing lead is replayed alone to show the difference.
 */
class ResultCheck {
  readonly problems: string[] = [];
  private states: Map<string, string> | null = null;
  private scores: Map<string, string> | null = null;
  referenceKey: string | null = null;
  summary = '';

  constructor(
    private readonly ruleSet: CompiledRuleSet,
    private readonly events: readonly LeadEvent[],
  ) {}

  check(key: string, outcome: Outcome): void {
    if (outcome.kind === 'scores') return this.checkScores(key, outcome.scores);
    const { states } = outcome;
    if (!this.states) {
      this.referenceKey = key;
      this.states = new Map([...states].map(([leadId, state]) => [leadId, fingerprint(state)]));
      this.scores = new Map([...states].map(([id, s]) => [id, scoreLine(s.score.total, s.score.fit, s.score.engagement, s.band)]));
      this.summary = summarise(states);
      return;
    }
    if (states.size !== this.states.size) this.problems.push(`${key}: ${states.size} leads, ${this.referenceKey} has ${this.states.size}`);
    for (const [leadId, expected] of this.states) {
      const state = states.get(leadId);
      if (state && fingerprint(state) === expected) continue;
      this.problems.push(`${key}: ${leadId}: ${this.difference(leadId, state)}`);
      return;
    }
  }

  private checkScores(key: string, scores: Map<string, HandScore>): void {
    if (!this.scores) return;
    for (const [leadId, expected] of this.scores) {
      const hand = scores.get(leadId);
      const line = hand ? scoreLine(hand.total, hand.fit, hand.engagement, hand.band) : 'missing';
      if (line === expected) continue;
      this.problems.push(`${key}: ${leadId}: ${line}; ${this.referenceKey}: ${expected}`);
      return;
    }
  }

  /** Where the two JSON texts part, with some context. */
  private difference(leadId: string, state: LeadState | undefined): string {
    if (!state) return 'missing';
    const expected = JSON.stringify(
      evaluateInto(
        this.ruleSet,
        new Map(),
        this.events.filter((e) => e.leadId === leadId),
      ).get(leadId),
    );
    const actual = JSON.stringify(state);
    let at = 0;
    while (at < actual.length && actual[at] === expected[at]) at++;
    const around = (text: string) => text.slice(Math.max(0, at - 60), at + 60);
    return `…${around(actual)}… where ${this.referenceKey} has …${around(expected)}…`;
  }
}

function summarise(states: Map<string, LeadState>): string {
  const stages = new Map<string, number>();
  const bands = new Map<string, number>();
  for (const state of states.values()) {
    stages.set(state.stage, (stages.get(state.stage) ?? 0) + 1);
    bands.set(state.band, (bands.get(state.band) ?? 0) + 1);
  }
  const list = (counts: Map<string, number>) =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => `${name} ${percent(count, states.size)}`)
      .join(', ');
  return `final stages: ${list(stages)}\nfinal bands: ${list(bands)}`;
}

/** One condition call seen during evaluation: which rule, and a copy of the data it read. */
interface ConditionSample {
  rule: unknown;
  data: unknown;
}

/** An evaluator that runs the engine's compiled conditions and keeps copies of a uniform sample of calls (reservoir sampling). */
function recordingEvaluator(samples: ConditionSample[]): LogicEvaluator {
  const random = new Random(CONDITION_SAMPLE_SEED);
  let calls = 0;
  return (rule) => {
    const { run } = compileLogic(rule);
    return (data) => {
      calls += 1;
      if (samples.length < CONDITION_SAMPLES) {
        samples.push({ rule, data: structuredClone(data) });
      } else {
        const slot = Math.floor(random.next() * calls);
        if (slot < CONDITION_SAMPLES) samples[slot] = { rule, data: structuredClone(data) };
      }
      return run(data);
    };
  };
}

/** JSON-Logic alone: every evaluator on the same recorded calls, taking turns, results compared for truthiness. */
function conditionsOnly(samples: readonly ConditionSample[], problems: string[]): Array<{ label: string; seconds: number }> {
  const evaluators: Array<{ label: string; evaluator: LogicEvaluator }> = [
    { label: 'leadflow compileLogic', evaluator: (rule) => compileLogic(rule).run },
    { label: 'json-logic-js apply', evaluator: interpretWithJsonLogicJs },
    { label: 'json-logic-engine build', evaluator: compileWithJsonLogicEngine() },
    { label: 'json-logic-engine run', evaluator: interpretWithJsonLogicEngine() },
  ];
  const runs = evaluators.map(({ label, evaluator }) => {
    const compiled = new Map<unknown, CompiledLogic>();
    const calls = samples.map(({ rule }) => compiled.get(rule) ?? compiled.set(rule, evaluator(rule)).get(rule)!);
    return { label, calls, seconds: 0 };
  });
  const reference = samples.map(({ data }, i) => truthy(runs[0]!.calls[i]!(data)));
  for (const { label, calls } of runs) {
    const differing = samples.findIndex(({ data }, i) => truthy(calls[i]!(data)) !== reference[i]);
    if (differing >= 0) {
      const rule = JSON.stringify(samples[differing]!.rule);
      problems.push(`conditions: ${label}: ${rule} gives ${!reference[differing]}, leadflow ${reference[differing]}`);
    }
  }
  for (let turn = 0; turn < CONDITION_TURNS; turn++) {
    for (let k = 0; k < runs.length; k++) {
      const run = runs[(k + turn) % runs.length]!;
      const started = performance.now();
      for (let repeat = 0; repeat < CONDITION_REPEATS / CONDITION_TURNS; repeat++) {
        for (let i = 0; i < samples.length; i++) run.calls[i]!(samples[i]!.data);
      }
      run.seconds += (performance.now() - started) / 1000;
    }
  }
  return runs;
}

function describeWorkload(workload: Workload, seconds: number): string {
  const { events, leadIds, countsByType, options } = workload;
  const mix = Object.entries(countsByType)
    .sort((a, b) => b[1] - a[1])
    .map(([type, count]) => `${type} ${percent(count, events.length)}`)
    .join(', ');
  const period = `${events[0]?.occurredAt.slice(0, 10)} … ${events.at(-1)?.occurredAt.slice(0, 10)}`;
  return `${integer.format(events.length)} events over ${integer.format(leadIds.length)} leads, ${period}, seed ${options.seed}, generated in ${seconds.toFixed(1)} s\n  mix: ${mix}`;
}

/** The workload must be valid input: known event types, events that pass the API's schema. */
function checkWorkload(ruleSet: CompiledRuleSet, events: readonly LeadEvent[]): void {
  const unknown = new Set(events.filter((event) => !isKnownEventType(ruleSet, event.type)).map((event) => event.type));
  if (unknown.size > 0) throw new Error(`workload uses event types ${RULES_FILE} does not know: ${[...unknown].join(', ')}`);
  const stride = Math.max(1, Math.floor(events.length / 10_000));
  for (let i = 0; i < events.length; i += stride) leadEventSchema.parse(events[i]);
}

interface Timing {
  contender: Contender;
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of the whole process (main thread and garbage-collector helpers): what the contender cost, not what it waited for. */
  cpuSeconds: number;
}

function printTimings(timings: readonly Timing[], events: number, slices: number): void {
  const rate = (t: Timing) => events / t.seconds;
  const cpuRate = (t: Timing) => events / t.cpuSeconds;
  const ours = timings.find((t) => t.contender.key === 'evaluate');
  const header = ['wall', 'cpu', 'events/s', 'ours ÷ this', 'by cpu'].map((h, i) => h.padStart([9, 9, 11, 13, 8][i]!)).join('');
  console.log(`\n${'evaluator'.padEnd(40)}${'path'.padEnd(15)}${header}`);
  for (const t of timings) {
    const cells = [
      `${t.seconds.toFixed(2)} s`.padStart(9),
      `${t.cpuSeconds.toFixed(2)} s`.padStart(9),
      integer.format(rate(t)).padStart(11),
      (ours ? ratio(rate(ours) / rate(t)) : '').padStart(13),
      (ours ? ratio(cpuRate(ours) / cpuRate(t)) : '').padStart(8),
    ];
    console.log(`${t.contender.label.padEnd(40)}${t.contender.path.padEnd(15)}${cells.join('')}`);
  }
  if (!ours) return;
  const lines: string[] = [];
  const compare = (key: string, name: string, remark = '') => {
    const t = timings.find((candidate) => candidate.contender.key === key);
    if (!t) return null;
    const wall = rate(ours) / rate(t);
    const cpu = cpuRate(ours) / cpuRate(t);
    lines.push(`${`ours / ${name}`.padEnd(26)}${ratio(wall).padStart(7)}  (by cpu ${ratio(cpu)})${remark}`);
    return Math.min(wall, cpu);
  };
  const againstJsonLogicJs = compare('json-logic-js', 'json-logic-js');
  if (againstJsonLogicJs !== null) {
    lines[lines.length - 1] += `   goal ≥ ${GOAL_VS_JSON_LOGIC_JS}×: ${againstJsonLogicJs >= GOAL_VS_JSON_LOGIC_JS ? 'met' : 'NOT met'}`;
  }
  compare('json-logic-engine', 'json-logic-engine');
  compare('hand-written', 'hand-written', '   (hand-written computes score and band only)');
  if (lines.length > 0) {
    const turns = slices > 1 ? `contenders taking turns over ${slices} time slices` : 'one contender at a time';
    console.log(`\nratios of events/s ("ours" = evaluate; same run, ${turns}):\n  ${lines.join('\n  ')}`);
  }
}

function printConditions(samples: readonly ConditionSample[], problems: string[]): void {
  const rows = conditionsOnly(samples, problems);
  const calls = samples.length * CONDITION_REPEATS;
  const ours = rows[0]!;
  console.log(
    `\nJSON-Logic alone: ${integer.format(samples.length)} condition calls recorded during the warm-up, each repeated ${CONDITION_REPEATS}×`,
  );
  console.log(`${'evaluator'.padEnd(42)}${'calls/s'.padStart(15)}${'ours ÷ this'.padStart(13)}`);
  for (const row of rows) {
    console.log(
      `${row.label.padEnd(42)}${integer.format(calls / row.seconds).padStart(15)}${ratio(row.seconds / ours.seconds).padStart(13)}`,
    );
  }
}

function main(): void {
  const ruleSet = loadRuleSetOrThrow(readFileSync(new URL(`../${RULES_FILE}`, import.meta.url), 'utf8'));
  const leads = Number(args.leads);
  const eventCount = Number(args.events);
  const sliceCount = Math.max(1, Number(args.slices));
  const only = args.only ? new Set(args.only.split(',')) : null;
  const selected = contenders(ruleSet).filter((c) => (only ? only.has(c.key) : args.all || !c.optIn));
  const conditions = !only || only.has('conditions');

  let started = performance.now();
  const workload = generateWorkload({ leads, events: eventCount, seed: Number(args.seed) });
  console.log(`Leadflow engine benchmark: ${RULES_FILE}, node ${process.version}`);
  console.log(describeWorkload(workload, (performance.now() - started) / 1000));
  checkWorkload(ruleSet, workload.events);

  const warmUp = generateWorkload({
    leads: Math.max(1, Math.round(leads * WARM_UP_SHARE)),
    events: Math.max(1, Math.round(eventCount * WARM_UP_SHARE)),
    seed: WARM_UP_SEED,
  }).events;
  const samples: ConditionSample[] = [];
  const notes: string[] = [];
  if (conditions) evaluateInto(withLogicEvaluator(ruleSet, recordingEvaluator(samples)), new Map(), warmUp);
  for (const contender of selected) {
    const session = contender.start();
    for (const slice of slicesOf(warmUp, sliceCount)) session.feed(slice);
  }

  // Contenders take turns slice by slice, each starting a different slice, each keeping its own states;
  // a contender's results are checked, and its states dropped, as soon as it has seen every slice.
  const check = new ResultCheck(ruleSet, workload.events);
  const slices = slicesOf(workload.events, sliceCount);
  const runs = selected.map((contender) => ({ contender, session: null as Session | null, seconds: 0, cpuSeconds: 0, fed: 0 }));
  const loadBefore = os.loadavg()[0]!;
  collectGarbage();
  for (let s = 0; s < slices.length; s++) {
    for (let i = 0; i < runs.length; i++) {
      const run = runs[(i + s) % runs.length]!;
      run.session ??= run.contender.start();
      if (slices.length === 1) collectGarbage();
      const cpuBefore = process.cpuUsage();
      started = performance.now();
      run.session.feed(slices[s]!);
      run.seconds += (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      run.cpuSeconds += (cpu.user + cpu.system) / 1e6;
      if (++run.fed < slices.length) continue;
      check.check(run.contender.key, run.session.finish());
      const note = run.session.note?.();
      if (note) notes.push(note);
      run.session = null;
    }
  }
  const loadAfter = os.loadavg()[0]!;

  printTimings(runs, workload.events.length, slices.length);
  const cpus = os.availableParallelism();
  notes.push(`load average ${loadBefore.toFixed(1)} before the timed runs, ${loadAfter.toFixed(1)} after, on ${cpus} CPUs`);
  if (notes.length > 0) console.log(`  ${notes.join('\n  ')}`);
  if (conditions) printConditions(samples, check.problems);
  if (check.summary) console.log(`\n${check.summary}`);

  if (check.problems.length > 0) {
    console.error(`\nRESULTS DIFFER:\n  ${check.problems.join('\n  ')}`);
    process.exitCode = 1;
    return;
  }
  const stateful = runs.filter((run) => run.contender.key !== 'hand-written').map((run) => run.contender.key);
  const hand = runs.some((run) => run.contender.key === 'hand-written') && check.referenceKey !== null;
  const leadCount = integer.format(leads);
  console.log(
    `\nverified: final states of all ${leadCount} leads identical (JSON) across ${stateful.join(', ')}` +
      (hand ? `; hand-written total, fit, engagement and band equal for all ${leadCount}` : '') +
      (conditions ? '; JSON-Logic evaluators agree on every recorded call' : ''),
  );
}

main();
