/**
 * A comparison's worker thread: replays history through the versions (or
 * folds stored live and shadow results) and computes their metrics, all
 * synchronously, so the engine's pure replay can consume history as an
 * ordinary iterable while the main thread stays free to serve requests. A
 * thread takes one job at a time, as a message, and is reused (pool.ts); a
 * job may also be a suggestion of points (../suggestions/job.ts).
 *
 * Pages of history come from the main thread over a synchronous channel
 * (channel.ts). When several workers share a replay, each replays every
 * version on the leads of the pages it was given (a share), and they talk
 * over channels between each pair:
 *   1. each tells the others the times of its first and last event, so all
 *      judge open leads at the same end of the period;
 *   2. each sends every worker that owns versions its share's columns of
 *      those versions (typed arrays, moved rather than copied);
 *   3. the owners merge the shares and compute their versions' metrics and
 *      curves, and send their part to the first worker, which assembles the
 *      report.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import {
  columnBuffers,
  ColumnsBuilder,
  countOpenAsLost,
  loadRuleSetOrThrow,
  mergeColumns,
  replayShare,
  selectVersions,
  type CompiledRuleSet,
  type Explanation,
  type LeadEvent,
  type ReplayColumns,
  type ReplayOptions,
  type ReplayResult,
  type ReportNote,
  type ReportOptions,
  type RuleSetDefinition,
} from '../../engine/index';
import { COMPARISON_THREAD_NICE } from '../config';
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
import { foldStored, type StoredResult } from '../lead-derivation';
import { StoredResultsFold } from './shadow';
import { runSuggestionJob, type SuggestionInput, type SuggestionMessage } from '../suggestions/job';

/** The channels between this worker and another one. */
export interface Peer {
  /** Where to send to it. */
  to: ChannelEnd;
  /** Where its messages arrive. */
  from: ChannelEnd;
}

export interface WorkerInput {
  source: ComparisonSource;
  /** Every compared version, the baseline first. */
  definitions: RuleSetDefinition[];
  /** This worker's number among the workers of the comparison; worker 0 assembles the report. */
  worker: number;
  /** Per worker, the positions of the versions whose metrics it computes (consecutive; none for some when workers outnumber versions). */
  owners: number[][];
  since?: string;
  until?: string;
  horizonDays?: number;
  openAsLostAfterDays?: number;
  /** Shadow source: which version's results are the challenger's; the others' are the live results. */
  challenger?: string;
  /** Shadow source: every version that may have evaluated live events, to derive their explanations (see {@link LeadTuple}). */
  liveDefinitions?: RuleSetDefinition[];
  /** Where pages of history arrive. */
  pages: ChannelEnd;
  /** Per worker, the channels with it (null for this worker itself). */
  peers: Array<Peer | null>;
}

/** Between workers of a replay, in this order on each channel. */
type PeerMessage = { firstEventTime: number | null; lastEventTime: number | null } | ReplayColumns | ReportPart;

/** Main thread → worker, over the pages channel. */
export type PageMessage = { json: string } | { end: true };
/** Worker → main thread, over parentPort. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'took'; size: number }
  | { type: 'part' }
  | { type: 'done'; json: string; timings: Omit<WorkerTimings, 'start'> }
  | { type: 'failed'; message: string };

/** Milliseconds: starting the workers (loading code, compiling rule sets), folding history (of which waiting for pages), the report (exchanges between workers, metrics, what-if, differences; of which waiting for the other workers), serialising it. */
export interface WorkerTimings {
  start: number;
  fold: number;
  waiting: number;
  report: number;
  waitingForPeers: number;
  serialise: number;
}

let input: WorkerInput;
/** Milliseconds spent waiting for pages, and for the other workers. */
let waiting = 0;
let waitingForPeers = 0;
/** When the replay of history ended. */
let folded = 0;

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

/**
 * The live explanations of one lead's events (in history order) from a shadow
 * page: stored ones as they are, the others derived by folding the lead's
 * events under the versions that evaluated them (see {@link LeadTuple}).
 */
function liveDerivation(compared: CompiledRuleSet[]): (items: StoredResult[]) => Array<Explanation | null> {
  const ruleSets = new Map(compared.map((ruleSet) => [ruleSet.version, ruleSet]));
  const definitions = new Map((input.liveDefinitions ?? []).map((definition) => [definition.version, definition]));
  const ruleSetOf = (version: string): CompiledRuleSet => {
    let ruleSet = ruleSets.get(version);
    if (!ruleSet) {
      const definition = definitions.get(version);
      if (!definition) throw new Error(`rule-set version "${version}", which evaluated stored events, is not among the rule files`);
      ruleSet = loadRuleSetOrThrow(definition);
      ruleSets.set(version, ruleSet);
    }
    return ruleSet;
  };
  return (items) => {
    // Only stored explanations (or none): nothing to fold.
    if (items.every((item) => item.version === null)) return items.map((item) => item.stored);
    return foldStored(items, ruleSetOf).events.map((event) => event.explanation);
  };
}

function foldShadow(ruleSets: CompiledRuleSet[], options: ReplayOptions): { result: ReplayResult; notes: ReportNote[] } {
  const shadowIndex = ruleSets.findIndex((ruleSet) => ruleSet.version === input.challenger);
  const fold = new StoredResultsFold(ruleSets, options);
  const derive = liveDerivation(ruleSets);
  let otherVersions = 0;
  for (const rows of pages<LeadTuple>()) {
    for (const [leadId, items] of rows) {
      const live = derive(
        items.map(([id, type, occurredAt, properties, result]) => ({
          event: { id, leadId, type, occurredAt, properties },
          version: typeof result === 'string' ? result : null,
          stored: typeof result === 'string' ? null : (result as Explanation | null),
        })),
      );
      fold.add({
        leadId,
        events: items.map(([id, type, occurredAt, properties, , shadow], index) => {
          const liveExplanation = live[index]!;
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
  const notes: ReportNote[] = [
    {
      code: 'shadow-stored-results',
      message: 'Built from stored results: live results as each event was evaluated on arrival, challenger results from shadow evaluation.',
    },
    { code: 'shadow-challenger-leads', message: 'Only leads the challenger has evaluated are compared.' },
    {
      code: 'shadow-after-outcome',
      message: 'An event after an outcome within the horizon was evaluated live with the outcome applied; a replay leaves the outcome out.',
    },
  ];
  if (otherVersions > 0)
    notes.push({
      code: 'shadow-other-versions',
      message: `${otherVersions} live results were computed by a version active earlier, not by the one named.`,
    });
  return { result: fold.result(), notes };
}

/** How the report counts open leads, from the job. */
function reportOptions(): ReportOptions {
  return { openAsLostAfterDays: input.openAsLostAfterDays ?? null };
}

/** The peers' next message each, in worker order. */
function fromPeers<T extends PeerMessage>(workers: readonly number[]): T[] {
  return workers.map((w) => {
    const { message, waited } = receive<T>(input.peers[w]!.from);
    waitingForPeers += waited;
    return message;
  });
}

/**
 * Replays this worker's share and exchanges what it must with the others
 * (see the top of this file); returns its versions' merged columns and part
 * of the report, or null when it owns no version.
 */
function replayPart(ruleSets: CompiledRuleSet[], options: ReplayOptions): { columns: ReplayColumns; part: ReportPart } | null {
  // Pages come lead by lead (pages.ts), so the replay holds one lead's state at a time, and writes each finished lead to columns.
  const builder = new ColumnsBuilder(ruleSets.map((_, i) => i));
  const share = replayShare(ruleSets, events(), { ...options, groupedByLead: true }, builder);
  folded = performance.now();
  const others = input.peers.flatMap((peer, w) => (peer ? [w] : []));
  const times = { firstEventTime: share.firstEventTime, lastEventTime: share.lastEventTime };
  for (const w of others) post(input.peers[w]!.to, times);
  const whole = { ...times };
  for (const { firstEventTime, lastEventTime } of fromPeers<typeof times>(others)) {
    if (firstEventTime !== null && (whole.firstEventTime === null || firstEventTime < whole.firstEventTime))
      whole.firstEventTime = firstEventTime;
    if (lastEventTime !== null && (whole.lastEventTime === null || lastEventTime > whole.lastEventTime))
      whole.lastEventTime = lastEventTime;
  }
  const replayed = share.finish(whole);

  for (const w of others) {
    const indexes = input.owners[w]!;
    if (indexes.length === 0) continue;
    const columns = selectVersions(replayed, indexes);
    post(input.peers[w]!.to, columns, columnBuffers(columns));
  }
  const mine = input.owners[input.worker]!;
  if (mine.length === 0) return null;
  const merged = mergeColumns([selectVersions(replayed, mine), ...fromPeers<ReplayColumns>(others)]);
  const columns = countOpenAsLost(merged, input.openAsLostAfterDays ?? null);
  return { columns, part: reportPart(columns, mine, reportOptions()) };
}

/** Runs this worker's share; returns the report when this worker assembles it, null when its part went to the one that does. */
function run(): { json: string; timings: Omit<WorkerTimings, 'start'> } | null {
  const ruleSets = input.definitions.map((definition) => loadRuleSetOrThrow(definition));
  const options = {
    ...(input.since !== undefined && { since: input.since }),
    ...(input.until !== undefined && { until: input.until }),
    ...(input.horizonDays !== undefined && { horizonDays: input.horizonDays }),
  };
  send({ type: 'ready' });
  const started = performance.now();
  let report: ComparisonReport;
  if (input.source === 'shadow') {
    const { result, notes } = foldShadow(ruleSets, options);
    folded = performance.now();
    report = comparisonReport(result, 'shadow', reportOptions(), notes);
  } else {
    const replayed = replayPart(ruleSets, options);
    if (!replayed) return null;
    if (input.worker !== 0) {
      post(input.peers[0]!.to, replayed.part, partBuffers(replayed.part));
      return null;
    }
    const owners = input.owners.flatMap((indexes, w) => (w !== 0 && indexes.length > 0 ? [w] : []));
    report = assembleReport('replay', replayed.columns, [replayed.part, ...fromPeers<ReportPart>(owners)], reportOptions());
  }
  const reported = performance.now();
  const json = JSON.stringify(report);
  const timings = { fold: folded - started, waiting, report: reported - folded, waitingForPeers, serialise: performance.now() - reported };
  return { json, timings };
}

/**
 * Lowers this thread's scheduling priority (nice 10), so the thread serving
 * requests wins the CPU when both want it. Linux schedules threads as tasks
 * and takes a thread's own id for a process id here; elsewhere, or without
 * the right, the thread keeps its priority.
 */
function yieldToRequests(): void {
  try {
    const task = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(task) && task > 0) setPriority(task, COMPARISON_THREAD_NICE);
  } catch {
    // Not Linux, or not allowed: the comparison runs at the process's priority.
  }
}
yieldToRequests();

/** Runs a suggestion: its pages come the way a comparison's do, and its result goes back whole. */
function suggest(job: SuggestionInput): void {
  const reply = (message: SuggestionMessage) => parentPort!.postMessage(message);
  try {
    const result = runSuggestionJob(job, (size) => reply({ type: 'took', size }));
    reply({ type: 'suggested', json: JSON.stringify(result) });
  } catch (error) {
    reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
}

parentPort!.on('message', (job: WorkerInput | SuggestionInput) => {
  if ('kind' in job) {
    suggest(job);
    return;
  }
  input = job;
  waiting = 0;
  waitingForPeers = 0;
  try {
    const done = run();
    send(done ? { type: 'done', ...done } : { type: 'part' });
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
});
