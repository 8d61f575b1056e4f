/**
 * A comparison's worker thread: replays history through some of the versions
 * (or folds stored live and shadow results) and computes their metrics, all
 * synchronously, so the engine's pure `replay` can consume history as an
 * ordinary iterable while the main thread stays free to serve requests. A
 * thread takes one job at a time, as a message, and is reused (pool.ts).
 *
 * Pages of history come from the main thread over a synchronous channel
 * (channel.ts). When the versions are split between workers, each hands its
 * part of the report to the first worker, which assembles the report.
 */
import { parentPort } from 'node:worker_threads';
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
import { post, receive, type ChannelEnd } from './channel';
import type { EventTuple, LeadTuple } from './pages';
import {
  assembleReport,
  comparisonReport,
  partBuffers,
  reportPart,
  type ComparisonReport,
  type ComparisonSource,
  type ReportPart,
} from './report';
import { StoredResultsFold } from './shadow';

export interface WorkerInput {
  source: ComparisonSource;
  /** The versions this worker replays. */
  definitions: RuleSetDefinition[];
  /** Their positions among all compared versions. */
  indexes: number[];
  since?: string;
  until?: string;
  /** Shadow source: which version's results are the challenger's; the others' are the live results. */
  challenger?: string;
  /** Where pages of history arrive. */
  pages: ChannelEnd;
  /** The worker that assembles the report: where the other workers' parts arrive, one channel each. */
  parts?: ChannelEnd[];
  /** Any other worker: where to send its part. */
  assembler?: ChannelEnd;
}

/** Main thread → worker, over the pages channel. */
export type PageMessage = { json: string } | { end: true };
/** Worker → main thread, over parentPort. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'took'; size: number }
  | { type: 'part' }
  | { type: 'done'; json: string; timings: Omit<WorkerTimings, 'start'> }
  | { type: 'failed'; message: string };

/** Milliseconds: starting the workers (loading code, compiling rule sets), folding history (of which waiting for pages), the report (metrics, what-if, differences; of which waiting for the other workers' parts), serialising it. */
export interface WorkerTimings {
  start: number;
  fold: number;
  waiting: number;
  report: number;
  waitingForParts: number;
  serialise: number;
}

let input: WorkerInput;
let waiting = 0;

function send(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

function* pages<T>(): Generator<T[]> {
  for (;;) {
    const { message, waited } = receive<PageMessage>(input.pages);
    waiting += waited;
    if (!('json' in message)) return;
    const rows = JSON.parse(message.json) as T[];
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

/** Runs this worker's share; returns the report when this worker assembles it, null when it sent its part to the one that does. */
function run(): { json: string; timings: Omit<WorkerTimings, 'start'> } | null {
  const ruleSets = input.definitions.map((definition) => loadRuleSetOrThrow(definition));
  const options = { ...(input.since !== undefined && { since: input.since }), ...(input.until !== undefined && { until: input.until }) };
  send({ type: 'ready' });
  const started = performance.now();
  let folded: number;
  let report: ComparisonReport;
  let waitingForParts = 0;
  if (input.source === 'shadow') {
    const { result, notes } = foldShadow(ruleSets, options);
    folded = performance.now();
    report = comparisonReport(result, 'shadow', notes);
  } else {
    // Pages come lead by lead (pages.ts), so the replay holds one lead's state at a time.
    const result = replay(ruleSets, events(), { ...options, groupedByLead: true });
    folded = performance.now();
    const own = reportPart(result, input.indexes);
    if (input.assembler) {
      post(input.assembler, own, partBuffers(own));
      return null;
    }
    const parts: ReportPart[] = [own];
    for (const channel of input.parts ?? []) {
      const { message, waited } = receive<ReportPart>(channel);
      waitingForParts += waited;
      parts.push(message);
    }
    report = assembleReport('replay', result, parts);
  }
  const reported = performance.now();
  const json = JSON.stringify(report);
  const timings = { fold: folded - started, waiting, report: reported - folded, waitingForParts, serialise: performance.now() - reported };
  return { json, timings };
}

parentPort!.on('message', (job: WorkerInput) => {
  input = job;
  waiting = 0;
  try {
    const done = run();
    send(done ? { type: 'done', ...done } : { type: 'part' });
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
});
