/**
 * A comparison's worker thread: replays history (or folds stored live and
 * shadow results) through the versions and builds the report, all
 * synchronously, so the engine's pure `replay` can consume history as an
 * ordinary iterable while the main thread stays free to serve requests.
 *
 * Pages come from the main thread over a MessagePort. When none is waiting,
 * the worker sleeps on a shared counter (Atomics.wait) that the main thread
 * bumps after posting each page, then takes the page with
 * receiveMessageOnPort: a synchronous pull over an asynchronous store.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  loadRuleSetOrThrow,
  replay,
  type CompiledRuleSet,
  type Explanation,
  type LeadEvent,
  type ReplayOptions,
  type ReplayResult,
  type RuleSetDefinition,
} from '../../engine/index';
import type { EventTuple, LeadTuple } from './pages';
import { comparisonReport, type ComparisonSource } from './report';
import { StoredResultsFold } from './shadow';

export interface WorkerInput {
  source: ComparisonSource;
  definitions: RuleSetDefinition[];
  since?: string;
  until?: string;
  /** Shadow source: which version's results are the challenger's; the others' are the live results. */
  challenger?: string;
  port: MessagePort;
  /** Int32Array over it: [0] counts pages posted. */
  signal: SharedArrayBuffer;
}

/** Main thread → worker, over `port`. */
export type PageMessage = { json: string } | { end: true };
/** Worker → main thread, over parentPort. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'took'; size: number }
  | { type: 'done'; json: string; timings: Omit<WorkerTimings, 'start'> }
  | { type: 'failed'; message: string };

/** Milliseconds: starting the worker (loading its code, compiling the rule sets), folding history (of which waiting for pages), building the report, serialising it. */
export interface WorkerTimings {
  start: number;
  fold: number;
  waiting: number;
  report: number;
  serialise: number;
}

const input = workerData as WorkerInput;
const posted = new Int32Array(input.signal);
let waiting = 0;

function send(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

/** The next page's JSON, waiting for it if needed; null at the end of history. */
function takePage(): string | null {
  for (;;) {
    const seen = Atomics.load(posted, 0);
    const received = receiveMessageOnPort(input.port);
    if (received) {
      const message = received.message as PageMessage;
      return 'json' in message ? message.json : null;
    }
    const started = performance.now();
    Atomics.wait(posted, 0, seen);
    waiting += performance.now() - started;
  }
}

function* pages<T>(): Generator<T[]> {
  for (let json = takePage(); json !== null; json = takePage()) {
    const rows = JSON.parse(json) as T[];
    send({ type: 'took', size: rows.length });
    yield rows;
  }
}

function* events(): Generator<LeadEvent> {
  for (const rows of pages<EventTuple>()) {
    for (const row of rows) yield { id: row[1], leadId: row[2], type: row[3], occurredAt: row[0], properties: row[4] };
  }
}

function foldShadow(ruleSets: CompiledRuleSet[], options: ReplayOptions): { result: ReplayResult; notes: string[] } {
  const shadowIndex = ruleSets.findIndex((ruleSet) => ruleSet.version === input.challenger);
  const fold = new StoredResultsFold(ruleSets, options);
  let otherVersions = 0;
  for (const rows of pages<LeadTuple>()) {
    for (const [leadId, items] of rows) {
      fold.add({
        leadId,
        events: items.map(([id, type, occurredAt, properties, live, shadow]) => {
          const liveExplanation = live as Explanation | null;
          const explanations = ruleSets.map((ruleSet, i) => {
            if (i === shadowIndex) return shadow as Explanation | null;
            if (liveExplanation && liveExplanation.ruleSetVersion !== ruleSet.version) otherVersions++;
            return liveExplanation;
          });
          return { event: { id, leadId, type, occurredAt, properties }, explanations };
        }),
      });
    }
  }
  const notes = [
    'Built from stored results: live results as each event was evaluated on arrival, challenger results from shadow evaluation.',
    'Only leads the challenger has evaluated are compared.',
    'Open leads are judged on their score after their last event, without decay to the end of the period.',
  ];
  if (otherVersions > 0) notes.push(`${otherVersions} live results were computed by a version active earlier, not by the one named.`);
  return { result: fold.result(), notes };
}

function run(): { json: string; timings: Omit<WorkerTimings, 'start'> } {
  const ruleSets = input.definitions.map((definition) => loadRuleSetOrThrow(definition));
  send({ type: 'ready' });
  const options = { ...(input.since !== undefined && { since: input.since }), ...(input.until !== undefined && { until: input.until }) };
  let mark = performance.now();
  const lap = () => {
    const elapsed = performance.now() - mark;
    mark = performance.now();
    return elapsed;
  };
  const { result, notes } =
    input.source === 'replay' ? { result: replay(ruleSets, events(), options), notes: [] } : foldShadow(ruleSets, options);
  const fold = lap();
  const report = comparisonReport(result, input.source, notes);
  const reported = lap();
  const json = JSON.stringify(report);
  return { json, timings: { fold, waiting, report: reported, serialise: lap() } };
}

try {
  send({ type: 'done', ...run() });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
