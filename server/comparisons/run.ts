/**
 * Running one comparison. Worker threads do the replay and the report (see
 * worker.ts): this thread reads history from the store page by page (a lead's
 * events never split between pages) and hands each page to the worker with
 * the fewest pages waiting, so the workers replay disjoint sets of leads in
 * parallel, each through every version. Reading is asynchronous and pages are
 * small, so the event loop keeps serving requests during a run.
 */
import { availableParallelism } from 'node:os';
import type { CompiledRuleSet } from '../../engine/index';
import { COMPARISON_MAX_WORKERS, COMPARISON_PAGE_EVENTS, COMPARISON_PAGE_LEADS } from '../config';
import { normaliseTime } from '../lead-history';
import type { Store } from '../store/index';
import { openChannel, type ChannelEnd } from './channel';
import { PageFeeder } from './feeder';
import { eventPages, shadowPages, type Page } from './pages';
import { WorkerPool } from './pool';
import type { ComparisonSource } from './report';
import type { Peer, WorkerInput, WorkerMessage, WorkerTimings } from './worker';

export interface ComparisonRequest {
  source: ComparisonSource;
  /** The versions, the baseline first. */
  ruleSets: CompiledRuleSet[];
  /** Only leads first seen at or after this time. */
  since?: string;
  /** Events at or after this time are not read. */
  until?: string;
  /** Days after a lead's first event within which a hand-off counts and after which it is judged (engine default when absent). */
  horizonDays?: number;
  /** Open leads idle for longer than this many days before the end of the period count as not converted. */
  openAsLostAfterDays?: number;
  /** Shadow source: the version evaluated in shadow (the others' results are the live ones). */
  challenger?: string;
  /** Shadow source: every version that may have evaluated live events (whose explanations are derived on read). */
  liveRuleSets?: CompiledRuleSet[];
}

export interface RunOptions {
  /** How much of the history (events, or leads for the shadow source) has been handed to the workers, out of how much there is. */
  onProgress?: (done: number, total: number) => void;
  /** Where the time went, in milliseconds (for benchmarks). */
  onTimings?: (timings: WorkerTimings) => void;
  /** Stops the comparison (its workers end) and rejects. */
  signal?: AbortSignal;
  /** Worker threads to share a replay between; default one per CPU, at most COMPARISON_MAX_WORKERS. A shadow comparison uses one. */
  workers?: number;
  /** Events per page read (default COMPARISON_PAGE_EVENTS); leads per page for the shadow source (default COMPARISON_PAGE_LEADS). */
  pageSize?: number;
}

/** A comparison that could not run (bad period, replay error); its message is meant for the user. */
export class ComparisonError extends Error {
  override name = 'ComparisonError';
}

/** Workers a comparison uses unless told otherwise: one per CPU, at most COMPARISON_MAX_WORKERS. */
const DEFAULT_WORKERS = Math.min(availableParallelism(), COMPARISON_MAX_WORKERS);
/** Threads kept between jobs (comparisons and suggestions): as many as one comparison uses by default. */
export const pool = new WorkerPool(DEFAULT_WORKERS);

/** Versions split into `count` groups of consecutive versions, as even as can be. */
function groups(count: number, versions: number): number[][] {
  const out: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < versions; i++) out[Math.floor((i * count) / versions)]!.push(i);
  return out;
}

/**
 * Runs a comparison of stored history; resolves with the report as JSON
 * text (byte for byte the same for the same history and versions, however
 * many workers share the work).
 */
export async function runComparison(store: Store, request: ComparisonRequest, options: RunOptions = {}): Promise<string> {
  const { onProgress = () => {}, signal } = options;
  const until = request.until === undefined ? null : normaliseTime(request.until);
  const versions = request.ruleSets.length;
  if (versions === 0) throw new ComparisonError('a comparison needs at least one version');
  let total: number;
  let pages: AsyncGenerator<Page>;
  let count: number;
  if (request.source === 'replay') {
    total = await store.history.countEvents(until);
    pages = eventPages(store.history, until, options.pageSize ?? COMPARISON_PAGE_EVENTS);
    count = Math.max(1, Math.floor(options.workers ?? DEFAULT_WORKERS));
  } else {
    if (!request.challenger) throw new ComparisonError('a shadow comparison needs the challenger version');
    total = await store.history.countShadowLeads(request.challenger);
    pages = shadowPages(store.history, request.challenger, options.pageSize ?? COMPARISON_PAGE_LEADS);
    count = 1;
  }
  // Workers beyond the number of versions replay their share but compute no version's metrics.
  const owners = [...groups(Math.min(count, versions), versions), ...Array.from({ length: Math.max(0, count - versions) }, () => [])];

  const created = performance.now();
  const pageSenders: ChannelEnd[] = [];
  // links[a][b]: the channel from worker a to worker b.
  const links = owners.map((_, a) => owners.map((_, b) => (a === b ? null : openChannel())));
  const workers = owners.map((_, w) => {
    const channel = openChannel();
    pageSenders.push(channel.sender);
    const peers: Array<Peer | null> = owners.map((_, other) =>
      other === w ? null : { to: links[w]![other]!.sender, from: links[other]![w]!.receiver },
    );
    const input: WorkerInput = {
      source: request.source,
      definitions: request.ruleSets.map((ruleSet) => ruleSet.definition),
      worker: w,
      owners,
      ...(request.since !== undefined && { since: request.since }),
      ...(request.until !== undefined && { until: request.until }),
      ...(request.horizonDays !== undefined && { horizonDays: request.horizonDays }),
      ...(request.openAsLostAfterDays !== undefined && { openAsLostAfterDays: request.openAsLostAfterDays }),
      ...(request.challenger !== undefined && { challenger: request.challenger }),
      ...(request.liveRuleSets !== undefined && { liveDefinitions: request.liveRuleSets.map((ruleSet) => ruleSet.definition) }),
      pages: channel.receiver,
      peers,
    };
    const worker = pool.take();
    worker.postMessage(input, [channel.receiver.port, ...peers.flatMap((peer) => (peer ? [peer.to.port, peer.from.port] : []))]);
    return worker;
  });

  return new Promise<string>((resolve, reject) => {
    const finished = workers.map(() => false);
    let done = 0;
    let ready = 0;
    let startMs = 0;
    let settled = false;
    let succeeded = false;

    const settle = (error: unknown, json?: string) => {
      if (settled) return;
      settled = true;
      succeeded = !error;
      // The signal may outlive the job (the line's, shared by every job): its listener must not keep this one alive.
      signal?.removeEventListener('abort', stopped);
      feeder.stop();
      for (const sender of pageSenders) sender.port.close();
      // After a failure or a stop, some threads may still be working. When the report is done, a worker that sent its
      // part may not have said so yet: it goes back to the pool when it does, so no message of this job reaches the next.
      workers.forEach((worker, w) => {
        if (error) void worker.terminate();
        else if (finished[w]) pool.give(worker);
      });
      if (error) reject(error);
      else resolve(json!);
    };
    const feeder = new PageFeeder(pages, pageSenders, (error) => settle(error));
    const stopped = () => settle(new ComparisonError('the comparison was stopped'));

    workers.forEach((worker, w) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          if (++ready === workers.length) startMs = performance.now() - created;
        } else if (message.type === 'took') {
          done += message.size;
          onProgress(Math.min(total, done), total);
          feeder.took(w);
        } else if (message.type === 'part') {
          finished[w] = true;
          if (succeeded) pool.give(worker);
        } else if (message.type === 'done') {
          finished[w] = true;
          options.onTimings?.({ start: startMs, ...message.timings });
          settle(null, message.json);
        } else settle(new ComparisonError(message.message));
      });
      worker.on('error', (error) => settle(error));
      worker.on('exit', (code) => {
        if (!finished[w]) settle(new Error(`a comparison worker stopped (exit code ${code}) before it finished`));
      });
    });
    signal?.addEventListener('abort', stopped, { once: true });
    if (signal?.aborted) stopped();
    void feeder.fill();
  });
}
