/**
 * Running one comparison: a worker thread does the replay and the report (see
 * worker.ts) while this thread reads history from the store page by page and
 * hands the pages over, a few ahead of the worker. Reading is asynchronous and
 * pages are small, so the event loop keeps serving requests during a run.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { CompiledRuleSet } from '../../engine/index';
import { COMPARISON_PAGE_EVENTS, COMPARISON_PAGE_LEADS, COMPARISON_PAGES_AHEAD } from '../config';
import { normaliseTime } from '../lead-history';
import type { Store } from '../store/index';
import { eventPages, shadowPages, type Page } from './pages';
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
  /** How much of the history (events, or leads for the shadow source) has been handed to the worker, out of how much there is. */
  onProgress?: (done: number, total: number) => void;
  /** Where the worker spent its time, in milliseconds (for benchmarks). */
  onTimings?: (timings: WorkerTimings) => void;
  /** Stops the comparison (its worker ends) and rejects. */
  signal?: AbortSignal;
}

/** A comparison that could not run (bad period, replay error); its message is meant for the user. */
export class ComparisonError extends Error {
  override name = 'ComparisonError';
}

const WORKER = new URL('./worker.ts', import.meta.url).href;

/**
 * The worker runs TypeScript like this process: through tsx's loader, which
 * a worker thread has to register for itself.
 */
function startWorker(input: WorkerInput): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER)}); });`;
  return new Worker(boot, { eval: true, workerData: input, transferList: [input.port] });
}

/**
 * Runs a comparison of stored history; resolves with the report as JSON
 * text (byte for byte the same for the same history and versions).
 */
export async function runComparison(store: Store, request: ComparisonRequest, options: RunOptions = {}): Promise<string> {
  const { onProgress = () => {}, signal } = options;
  const until = request.until === undefined ? null : normaliseTime(request.until);
  let total: number;
  let pages: AsyncGenerator<Page>;
  if (request.source === 'replay') {
    total = await store.history.countEvents(until);
    pages = eventPages(store.history, until, COMPARISON_PAGE_EVENTS);
  } else {
    if (!request.challenger) throw new ComparisonError('a shadow comparison needs the challenger version');
    total = await store.history.countShadowLeads(request.challenger);
    pages = shadowPages(store.history, request.challenger, COMPARISON_PAGE_LEADS);
  }

  const channel = new MessageChannel();
  const counter = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const posted = new Int32Array(counter);
  const created = performance.now();
  let startMs = 0;
  const worker = startWorker({
    source: request.source,
    definitions: request.ruleSets.map((ruleSet) => ruleSet.definition),
    ...(request.since !== undefined && { since: request.since }),
    ...(request.until !== undefined && { until: request.until }),
    ...(request.challenger !== undefined && { challenger: request.challenger }),
    port: channel.port2,
    signal: counter,
  });

  const post = (message: PageMessage) => {
    channel.port1.postMessage(message);
    Atomics.add(posted, 0, 1);
    Atomics.notify(posted, 0);
  };

  return new Promise<string>((resolve, reject) => {
    let ahead = 0;
    let taken = 0;
    let reading = false;
    let finished = false;
    let settled = false;

    const settle = (error: unknown, json?: string) => {
      if (settled) return;
      settled = true;
      channel.port1.close();
      void worker.terminate();
      if (error) reject(error);
      else resolve(json!);
    };

    // Keeps up to COMPARISON_PAGES_AHEAD pages posted and not yet taken by the worker.
    const fill = async () => {
      if (reading || finished || settled) return;
      reading = true;
      try {
        while (ahead < COMPARISON_PAGES_AHEAD && !finished && !settled) {
          const next = await pages.next();
          if (settled) return;
          if (next.done) {
            finished = true;
            post({ end: true });
          } else {
            ahead++;
            post({ json: next.value.json });
          }
        }
      } catch (error) {
        settle(error);
      } finally {
        reading = false;
      }
    };

    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') startMs = performance.now() - created;
      else if (message.type === 'took') {
        ahead--;
        taken += message.size;
        onProgress(Math.min(taken, total), total);
        void fill();
      } else if (message.type === 'done') {
        options.onTimings?.({ start: startMs, ...message.timings });
        settle(null, message.json);
      } else settle(new ComparisonError(message.message));
    });
    worker.on('error', (error) => settle(error));
    worker.on('exit', (code) => settle(new Error(`the comparison worker stopped (exit code ${code}) before it finished`)));
    signal?.addEventListener('abort', () => settle(new ComparisonError('the comparison was stopped')), { once: true });
    if (signal?.aborted) settle(new ComparisonError('the comparison was stopped'));
    void fill();
  });
}
