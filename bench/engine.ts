/**
 * `npm run bench`: events evaluated per second with the default rule set, the
 * engine's compiled conditions against other JSON-Logic evaluators running the
 * same algorithm and against a hand-written score, all in one run, checked to
 * give identical results. See bench/README.md.
 *
 * Each contender runs in a process of its own, one after the other: a server
 * runs one evaluator, and sharing a process would let one contender's
 * just-in-time feedback slow down the next. This process generates the same
 * workload, collects every contender's report and compares the results.
 *
 * Options: --leads N --events N --seed N --only name,… --all
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
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
import { compileLogic } from '../engine/logic';
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
/** Warm-up workload: same generator, another seed, this share of the size. */
const WARM_UP_SHARE = 0.05;
const WARM_UP_SEED = 7;
/** Condition calls sampled from the warm-up for the JSON-Logic-alone table: few enough to stay in cache. */
const CONDITION_SAMPLES = 2_000;
const CONDITION_SAMPLE_SEED = 11;
const CONDITION_REPEATS = 1_000;

const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: String(DEFAULT_WORKLOAD.leads) },
    events: { type: 'string', default: String(DEFAULT_WORKLOAD.events) },
    seed: { type: 'string', default: String(DEFAULT_WORKLOAD.seed) },
    only: { type: 'string' },
    all: { type: 'boolean', default: false },
    /** Internal: run one contender and report to the parent process. */
    contender: { type: 'string' },
  },
});

/** Collecting garbage before the timed run keeps the warm-up's garbage out of its time. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;
const ratio = (value: number) => `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;

function packageVersion(name: string): string {
  const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

type Outcome = { kind: 'states'; states: Map<string, LeadState> } | { kind: 'scores'; scores: Map<string, HandScore> };

/** One way of running the workload. */
interface Contender {
  key: string;
  label: string;
  path: string;
  /** Run only when named in --only, or with --all. */
  optIn?: boolean;
  /** The JSON-Logic evaluator behind it, timed alone too (once per evaluator). */
  logic?: { label: string; evaluator: () => LogicEvaluator };
  /** Prepares a runner (compiling what it compiles once), which runs events from fresh states. */
  start(ours: CompiledRuleSet): (events: readonly LeadEvent[]) => Outcome;
}

/** Event by event through the public, pure `evaluate`, as the server does: load, evaluate, store. */
function evaluateInto(ruleSet: CompiledRuleSet, states: Map<string, LeadState>, events: readonly LeadEvent[]): Map<string, LeadState> {
  for (const event of events) states.set(event.leadId, evaluate(ruleSet, states.get(event.leadId) ?? null, event).state);
  return states;
}

function eventByEvent(ruleSet: CompiledRuleSet) {
  return (events: readonly LeadEvent[]): Outcome => ({ kind: 'states', states: evaluateInto(ruleSet, new Map(), events) });
}

const oursLogic = { label: 'leadflow compileLogic', evaluator: () => (rule: unknown) => compileLogic(rule).run };

function contenders(): Contender[] {
  const jsonLogicJs = `json-logic-js ${packageVersion('json-logic-js')}`;
  const jsonLogicEngine = `json-logic-engine ${packageVersion('json-logic-engine')}`;
  return [
    { key: 'evaluate', label: 'leadflow (compiled closures)', path: 'evaluate', logic: oursLogic, start: eventByEvent },
    {
      key: 'evaluateBatch',
      label: 'leadflow (compiled closures)',
      path: 'evaluateBatch',
      start: (ours) => (events) => ({ kind: 'states', states: evaluateBatch(ours, events) }),
    },
    {
      key: 'json-logic-js',
      label: `${jsonLogicJs} (interpreted)`,
      path: 'evaluate',
      logic: { label: `${jsonLogicJs} apply`, evaluator: () => interpretWithJsonLogicJs },
      start: (ours) => eventByEvent(withLogicEvaluator(ours, interpretWithJsonLogicJs)),
    },
    {
      key: 'json-logic-engine',
      label: `${jsonLogicEngine} (compiled)`,
      path: 'evaluate',
      logic: { label: `${jsonLogicEngine} build`, evaluator: compileWithJsonLogicEngine },
      start: (ours) => eventByEvent(withLogicEvaluator(ours, compileWithJsonLogicEngine())),
    },
    {
      key: 'json-logic-engine-run',
      label: `${jsonLogicEngine} (interpreted)`,
      path: 'evaluate',
      optIn: true,
      logic: { label: `${jsonLogicEngine} run`, evaluator: interpretWithJsonLogicEngine },
      start: (ours) => eventByEvent(withLogicEvaluator(ours, interpretWithJsonLogicEngine())),
    },
    {
      key: 'hand-written',
      label: 'hand-written v1 (score + band only)',
      path: 'score only',
      start: () => (events) => {
        const scores = new Map<string, HandScore>();
        for (const event of events) scoreByHand(scores, event);
        return { kind: 'scores', scores };
      },
    },
  ];
}

/** What a contender's process sends back. */
interface Report {
  key: string;
  /** The workload as generated in the contender's process (the same in every process). */
  workload: { description: string; events: number; leads: number };
  /** Wall-clock seconds of the timed run. */
  seconds: number;
  /** CPU seconds of the process during the timed run (main thread and garbage-collector helpers). */
  cpuSeconds: number;
  /** Per lead, a hash of its final state's JSON; null for the hand-written score. */
  fingerprints: Array<[string, string]> | null;
  /** Per lead, total, fit, engagement and band. */
  scores: Array<[string, string]>;
  /** Final stages and bands, for the record. */
  summary: string | null;
  logic: LogicTiming | null;
}

interface LogicTiming {
  label: string;
  calls: number;
  seconds: number;
  cpuSeconds: number;
  /** Truthiness of every sampled call, compared across evaluators. */
  results: boolean[];
}

function fingerprint(state: LeadState): string {
  return createHash('sha1').update(JSON.stringify(state)).digest('base64');
}

function scoreLine(total: number, fit: number, engagement: number, band: string): string {
  return `total ${total}, fit ${fit}, engagement ${engagement}, ${band}`;
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

/**
 * JSON-Logic alone: samples calls uniformly (seeded reservoir) while the
 * warm-up workload is evaluated with `evaluator`, then times the evaluator on
 * them. Every evaluator sees the same calls, since results are identical.
 */
function timeLogic(ours: CompiledRuleSet, label: string, evaluator: LogicEvaluator, warmUp: readonly LeadEvent[]): LogicTiming {
  const samples: ConditionSample[] = [];
  const random = new Random(CONDITION_SAMPLE_SEED);
  let seen = 0;
  const recording: LogicEvaluator = (rule) => {
    const run = evaluator(rule);
    return (data) => {
      seen += 1;
      const slot = samples.length < CONDITION_SAMPLES ? samples.length : Math.floor(random.next() * seen);
      if (slot < CONDITION_SAMPLES) samples[slot] = { rule, data: structuredClone(data) };
      return run(data);
    };
  };
  evaluateInto(withLogicEvaluator(ours, recording), new Map(), warmUp);

  const compiled = new Map<unknown, ReturnType<LogicEvaluator>>();
  const calls = samples.map(({ rule }) => compiled.get(rule) ?? compiled.set(rule, evaluator(rule)).get(rule)!);
  const results = samples.map(({ data }, i) => truthy(calls[i]!(data)));
  collectGarbage();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let repeat = 0; repeat < CONDITION_REPEATS; repeat++) {
    for (let i = 0; i < samples.length; i++) calls[i]!(samples[i]!.data);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { label, calls: samples.length * CONDITION_REPEATS, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, results };
}

function loadRules(): CompiledRuleSet {
  return loadRuleSetOrThrow(readFileSync(new URL(`../${RULES_FILE}`, import.meta.url), 'utf8'));
}

function workloadOptions() {
  return { leads: Number(args.leads), events: Number(args.events), seed: Number(args.seed) };
}

function warmUpEvents(): LeadEvent[] {
  const { leads, events } = workloadOptions();
  const size = (n: number) => Math.max(1, Math.round(n * WARM_UP_SHARE));
  return generateWorkload({ leads: size(leads), events: size(events), seed: WARM_UP_SEED }).events;
}

/** In a contender's own process: warm up, run the workload once, timed, and report. */
function runContender(key: string): void {
  const contender = contenders().find((c) => c.key === key);
  if (!contender) throw new Error(`unknown contender "${key}"`);
  const ours = loadRules();
  const generating = performance.now();
  const workload = generateWorkload(workloadOptions());
  const description = describeWorkload(workload, (performance.now() - generating) / 1000);
  checkWorkload(ours, workload.events);
  const { events } = workload;
  const warmUp = warmUpEvents();
  const run = contender.start(ours);
  run(warmUp);

  collectGarbage();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const outcome = run(events);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);

  const report: Report = {
    key,
    workload: { description, events: events.length, leads: workload.leadIds.length },
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    fingerprints: null,
    scores: [],
    summary: null,
    logic: null,
  };
  if (outcome.kind === 'states') {
    report.fingerprints = [...outcome.states].map(([leadId, state]) => [leadId, fingerprint(state)]);
    report.scores = [...outcome.states].map(([leadId, s]) => [leadId, scoreLine(s.score.total, s.score.fit, s.score.engagement, s.band)]);
    report.summary = summarise(outcome.states);
  } else {
    report.scores = [...outcome.scores].map(([leadId, s]) => [leadId, scoreLine(s.total, s.fit, s.engagement, s.band)]);
  }
  const timeLogicAlone = !args.only || args.only.split(',').includes('conditions');
  if (contender.logic && timeLogicAlone) {
    report.logic = timeLogic(ours, contender.logic.label, contender.logic.evaluator(), warmUp);
  }
  process.send!(report, undefined, {}, () => process.disconnect());
}

/** Runs one contender in a child process and waits for its report. */
function inChildProcess(key: string): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), '--contender', key], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: Report | null = null;
    child.on('message', (message) => (report = message as Report));
    child.on('error', reject);
    child.on('exit', (code) =>
      report && code === 0 ? resolve(report) : reject(new Error(`contender "${key}" failed (exit code ${code})`)),
    );
  });
}

/** Compares every report with the first stateful one; a differing lead is replayed here to show the difference. */
function compareResults(reports: readonly Report[], selected: readonly Contender[], ours: CompiledRuleSet): string[] {
  const problems: string[] = [];
  const reference = reports.find((r) => r.fingerprints);
  if (!reference) return problems;
  const expectedStates = new Map(reference.fingerprints);
  const expectedScores = new Map(reference.scores);
  for (const report of reports) {
    if (report === reference) continue;
    const actual = new Map(report.fingerprints ?? report.scores);
    const expected = report.fingerprints ? expectedStates : expectedScores;
    if (actual.size !== expected.size) problems.push(`${report.key}: ${actual.size} leads, ${reference.key} has ${expected.size}`);
    const differing = [...expected.keys()].find((leadId) => actual.get(leadId) !== expected.get(leadId));
    if (differing === undefined) continue;
    if (!report.fingerprints) {
      problems.push(`${report.key}: ${differing}: ${actual.get(differing) ?? 'missing'}; ${reference.key}: ${expected.get(differing)}`);
      continue;
    }
    const leadEvents = generateWorkload(workloadOptions()).events.filter((event) => event.leadId === differing);
    const stateOf = (key: string) => {
      const outcome = selected.find((c) => c.key === key)!.start(ours)(leadEvents);
      return outcome.kind === 'states' ? JSON.stringify(outcome.states.get(differing)) : '';
    };
    const [theirs, mine] = [stateOf(report.key), stateOf(reference.key)];
    let at = 0;
    while (at < theirs.length && theirs[at] === mine[at]) at++;
    const around = (text: string) => text.slice(Math.max(0, at - 60), at + 60);
    problems.push(`${report.key}: ${differing}: …${around(theirs)}… where ${reference.key} has …${around(mine)}…`);
  }
  const logic = reports.filter((r) => r.logic);
  for (const report of logic.slice(1)) {
    const differing = report.logic!.results.findIndex((result, i) => result !== logic[0]!.logic!.results[i]);
    if (differing >= 0) problems.push(`${report.logic!.label}: sampled call ${differing} disagrees with ${logic[0]!.logic!.label}`);
  }
  return problems;
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

function printTimings(reports: readonly Report[], selected: readonly Contender[], events: number): void {
  const rate = (r: Report) => events / r.seconds;
  const cpuRate = (r: Report) => events / r.cpuSeconds;
  const ours = reports.find((r) => r.key === 'evaluate');
  const widths = [9, 9, 11, 13, 8];
  const header = ['wall', 'cpu', 'events/s', 'ours ÷ this', 'by cpu'].map((h, i) => h.padStart(widths[i]!)).join('');
  console.log(`\n${'evaluator'.padEnd(40)}${'path'.padEnd(15)}${header}`);
  for (const r of reports) {
    const { label, path } = selected.find((c) => c.key === r.key)!;
    const cells = [
      `${r.seconds.toFixed(2)} s`,
      `${r.cpuSeconds.toFixed(2)} s`,
      integer.format(rate(r)),
      ours ? ratio(rate(ours) / rate(r)) : '',
      ours ? ratio(cpuRate(ours) / cpuRate(r)) : '',
    ];
    console.log(`${label.padEnd(40)}${path.padEnd(15)}${cells.map((cell, i) => cell.padStart(widths[i]!)).join('')}`);
  }
  if (!ours) return;
  const lines: string[] = [];
  const compare = (key: string, remark = (_worst: number) => '') => {
    const r = reports.find((candidate) => candidate.key === key);
    if (!r) return;
    const wall = rate(ours) / rate(r);
    const cpu = cpuRate(ours) / cpuRate(r);
    lines.push(`${`ours / ${key}`.padEnd(26)}${ratio(wall).padStart(7)}  (by cpu ${ratio(cpu)})${remark(Math.min(wall, cpu))}`);
  };
  compare('json-logic-js', (worst) => `   goal ≥ ${GOAL_VS_JSON_LOGIC_JS}×: ${worst >= GOAL_VS_JSON_LOGIC_JS ? 'met' : 'NOT met'}`);
  compare('json-logic-engine');
  compare('hand-written', () => '   (hand-written computes score and band only)');
  if (lines.length > 0) console.log(`\nratios of events/s ("ours" = evaluate, same run):\n  ${lines.join('\n  ')}`);
}

function printLogic(timings: readonly LogicTiming[]): void {
  const ours = timings.find((t) => t.label === oursLogic.label);
  const samples = (timings[0]?.results.length ?? 0).toLocaleString('en-US');
  console.log(`\nJSON-Logic alone: ${samples} condition calls sampled from the warm-up, each repeated ${CONDITION_REPEATS}×`);
  console.log(`${'evaluator'.padEnd(40)}${'calls/s'.padStart(15)}${'ours ÷ this'.padStart(13)}${'by cpu'.padStart(8)}`);
  for (const t of timings) {
    const cells = [
      integer.format(t.calls / t.seconds).padStart(15),
      (ours ? ratio(t.seconds / ours.seconds) : '').padStart(13),
      (ours ? ratio(t.cpuSeconds / ours.cpuSeconds) : '').padStart(8),
    ];
    console.log(`${t.label.padEnd(40)}${cells.join('')}`);
  }
}

async function main(): Promise<void> {
  const ours = loadRules();
  const only = args.only ? new Set(args.only.split(',')) : null;
  const selected = contenders().filter((c) => (only ? only.has(c.key) : args.all || !c.optIn));

  const loadBefore = os.loadavg()[0]!;
  const reports: Report[] = [];
  for (const contender of selected) {
    const report = await inChildProcess(contender.key);
    if (reports.length === 0) {
      console.log(`Leadflow engine benchmark: ${RULES_FILE}, node ${process.version}, each contender in its own process`);
      console.log(report.workload.description);
    }
    reports.push(report);
  }
  const loadAfter = os.loadavg()[0]!;
  if (reports.length === 0) return;

  const { events, leads } = reports[0]!.workload;
  printTimings(reports, selected, events);
  console.log(
    `  load average ${loadBefore.toFixed(1)} before the runs, ${loadAfter.toFixed(1)} after, on ${os.availableParallelism()} CPUs`,
  );
  const logic = reports.flatMap((r) => r.logic ?? []);
  if (logic.length > 0) printLogic(logic);
  const summary = reports.find((r) => r.summary)?.summary;
  if (summary) console.log(`\n${summary}`);

  const problems = compareResults(reports, selected, ours);
  if (problems.length > 0) {
    console.error(`\nRESULTS DIFFER:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
    return;
  }
  const stateful = reports.filter((r) => r.fingerprints).map((r) => r.key);
  const leadCount = integer.format(leads);
  const checked = [
    stateful.length > 0 ? `final states of all ${leadCount} leads identical (JSON) across ${stateful.join(', ')}` : '',
    reports.some((r) => !r.fingerprints) && stateful.length > 0
      ? `hand-written total, fit, engagement and band equal for all ${leadCount}`
      : '',
    logic.length > 1 ? 'JSON-Logic evaluators agree on every sampled call' : '',
  ].filter(Boolean);
  if (checked.length > 0) console.log(`\nverified: ${checked.join('; ')}`);
}

if (args.contender) runContender(args.contender);
else await main();
