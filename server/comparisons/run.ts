/**
 * Running one comparison. Worker threads do the replay and the report (see
 * worker.ts), the versions split between them so they replay in parallel;
 * this thread reads history from the store page by page and hands every page
 * to each worker, a few pages ahead of the slowest. Reading is asynchronous
 * and pages are small, so the event loop keeps serving requests during a run.
 */
import { availableParallelism } from 'node:os';
import type { CompiledRuleSet } from '../../engine/index';
import { COMPARISON_PAGE_EVENTS, COMPARISON_PAGE_LEADS, COMPARISON_PAGES_AHEAD } from '../config';
import { normaliseTime } from '../lead-history';
import type { Store } from '../store/index';
import { openChannel, post, type ChannelEnd } from './channel';
import { eventPages, shadowPages, type Page } from './pages';
import { WorkerPool } from './pool';
import type { ComparisonSource } from './report';
import type { PageMessage, WorkerInput, WorkerMessage, WorkerTimings } from './worker';

export interface ComparisonRequest {
  source: ComparisonSource;
  /** The versions, the baseline first. */
  ruleSets: CompiledRuleSet[];
  /** Only leads first seen at or after this time. */
  since?: string;
  /** Events at or after this time are not read; open leads are judged then. */
  until?: string;
  /** Shadow source: the version evaluated in shadow (the others' results are the live ones). */
  challenger?: string;
}

export interface RunOptions {
  /** How much of the history (events, or leads for the shadow source) has been handed to the workers, out of how much there is. */
  onProgress?: (done: number, total: number) => void;
  /** Where the time went, in milliseconds (for benchmarks). */
  onTimings?: (timings: WorkerTimings) => void;
  /** Stops the comparison (its workers end) and rejects. */
  signal?: AbortSignal;
  /** Worker threads to split the versions between; default one per version, at most one per CPU. */
  workers?: number;
}

/** A comparison that could not run (bad period, replay error); its message is meant for the user. */
export class ComparisonError extends Error {
  override name = 'ComparisonError';
}

/** Threads kept between comparisons: as many as one comparison uses at most. */
const pool = new WorkerPool(availableParallelism());

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
  let total: number;
  let pages: AsyncGenerator<Page>;
  let split: number[][];
  if (request.source === 'replay') {
    total = await store.history.countEvents(until);
    pages = eventPages(store.history, until, COMPARISON_PAGE_EVENTS);
    const workers = options.workers ?? Math.min(request.ruleSets.length, availableParallelism());
    split = groups(Math.max(1, Math.min(workers, request.ruleSets.length)), request.ruleSets.length);
  } else {
    if (!request.challenger) throw new ComparisonError('a shadow comparison needs the challenger version');
    total = await store.history.countShadowLeads(request.challenger);
    pages = shadowPages(store.history, request.challenger, COMPARISON_PAGE_LEADS);
    split = [request.ruleSets.map((_, i) => i)];
  }

  const created = performance.now();
  const pageSenders: ChannelEnd[] = [];
  const partChannels = split.slice(1).map(() => openChannel());
  const workers = split.map((indexes, w) => {
    const channel = openChannel();
    pageSenders.push(channel.sender);
    const own = w === 0 ? partChannels.map((c) => c.receiver) : [partChannels[w - 1]!.sender];
    const input: WorkerInput = {
      source: request.source,
      definitions: indexes.map((i) => request.ruleSets[i]!.definition),
      indexes,
      ...(request.since !== undefined && { since: request.since }),
      ...(request.until !== undefined && { until: request.until }),
      ...(request.challenger !== undefined && { challenger: request.challenger }),
      pages: channel.receiver,
      ...(w === 0 ? { parts: own } : { assembler: own[0]! }),
    };
    const worker = pool.take();
    worker.postMessage(
      input,
      [channel.receiver, ...own].map((end) => end.port),
    );
    return worker;
  });

  return new Promise<string>((resolve, reject) => {
    const taken = workers.map(() => ({ pages: 0, size: 0 }));
    const finished = workers.map(() => false);
    let ready = 0;
    let startMs = 0;
    let posted = 0;
    let reading = false;
    let end = false;
    let settled = false;

    const settle = (error: unknown, json?: string) => {
      if (settled) return;
      settled = true;
      for (const sender of pageSenders) sender.port.close();
      // Every thread has finished its job when the report is done; after a failure or a stop, some may still be working.
      for (const worker of workers) {
        if (error) void worker.terminate();
        else pool.give(worker);
      }
      if (error) reject(error);
      else resolve(json!);
    };
    const postAll = (message: PageMessage) => {
      for (const sender of pageSenders) post(sender, message);
    };

    // Keeps up to COMPARISON_PAGES_AHEAD pages posted and not yet taken by the slowest worker.
    const fill = async () => {
      if (reading || end || settled) return;
      reading = true;
      try {
        while (posted - Math.min(...taken.map((t) => t.pages)) < COMPARISON_PAGES_AHEAD && !end && !settled) {
          const next = await pages.next();
          if (settled) return;
          if (next.done) {
            end = true;
            postAll({ end: true });
          } else {
            posted++;
            postAll({ json: next.value.json });
          }
        }
      } catch (error) {
        settle(error);
      } finally {
        reading = false;
      }
    };

    workers.forEach((worker, w) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          if (++ready === workers.length) startMs = performance.now() - created;
        } else if (message.type === 'took') {
          taken[w]!.pages++;
          taken[w]!.size += message.size;
          onProgress(Math.min(total, ...taken.map((t) => t.size)), total);
          void fill();
        } else if (message.type === 'part') {
          finished[w] = true;
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
    signal?.addEventListener('abort', () => settle(new ComparisonError('the comparison was stopped')), { once: true });
    if (signal?.aborted) settle(new ComparisonError('the comparison was stopped'));
    void fill();
  });
}
