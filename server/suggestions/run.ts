/**
 * Running one suggestion on a thread of the comparisons' pool: this thread
 * reads the period's history from the store page by page (asynchronously,
 * so requests keep being served) and hands each page to the worker, a few
 * ahead of what it has taken; the worker fits the points (job.ts).
 */
import type { CompiledRuleSet } from '../../engine/index';
import type { Job } from '../comparisons/registry';
import { openChannel } from '../comparisons/channel';
import { PageFeeder } from '../comparisons/feeder';
import { eventPages } from '../comparisons/pages';
import { ComparisonError, pool } from '../comparisons/run';
import { SERVER_COMPARISON_PAGE_EVENTS } from '../config';
import { normaliseTime } from '../lead-history';
import type { Store } from '../store/index';
import type { SuggestionInput, SuggestionMessage, SuggestionOptions } from './job';

export interface SuggestionRequest {
  from: CompiledRuleSet;
  /** The name the suggested table is given. */
  version: string;
  since?: string;
  until?: string;
  options: SuggestionOptions;
}

/** A suggestion in the comparisons' line; its report is the result, as JSON text. */
export interface Suggestion extends Job {
  kind: 'suggestion';
  /** The version suggested from. */
  from: string;
  since: string | null;
  until: string | null;
  options: SuggestionOptions;
}

/** Share of the progress that reading the history stands for; the fit is the rest. */
const READING_SHARE = 0.3;

/**
 * Runs a suggestion over stored history; resolves with its result as JSON
 * text. A failure meant for the user (a bad option, a replay error) rejects
 * with a {@link ComparisonError}, the error the line shows as it is.
 */
export async function runSuggestion(
  store: Store,
  request: SuggestionRequest,
  options: { onProgress?: (share: number) => void; signal?: AbortSignal } = {},
): Promise<string> {
  const { onProgress = () => {}, signal } = options;
  const until = request.until === undefined ? null : normaliseTime(request.until);
  const total = await store.history.countEvents(until);
  const pages = eventPages(store.history, until, SERVER_COMPARISON_PAGE_EVENTS);
  const { sender, receiver } = openChannel();
  const input: SuggestionInput = {
    kind: 'suggestion',
    definition: request.from.definition,
    version: request.version,
    ...(request.since !== undefined && { since: request.since }),
    ...(request.until !== undefined && { until: request.until }),
    options: request.options,
    pages: receiver,
  };
  const worker = pool.take();
  worker.postMessage(input, [receiver.port]);

  return new Promise<string>((resolve, reject) => {
    let read = 0;
    let settled = false;
    const settle = (error: unknown, json?: string) => {
      if (settled) return;
      settled = true;
      // The signal may outlive the job (the line's, shared by every job): its listener must not keep this one alive.
      signal?.removeEventListener('abort', stopped);
      feeder.stop();
      sender.port.close();
      // A thread is reused only after a clean run, so no message of this job reaches the next.
      if (error) void worker.terminate();
      else pool.give(worker);
      if (error) reject(error);
      else resolve(json!);
    };
    const feeder = new PageFeeder(pages, [sender], (error) => settle(error));
    const stopped = () => settle(new ComparisonError('the suggestion was stopped'));
    worker.on('message', (message: SuggestionMessage) => {
      if (message.type === 'took') {
        read += message.size;
        onProgress(total === 0 ? READING_SHARE : (READING_SHARE * Math.min(total, read)) / total);
        feeder.took(0);
      } else if (message.type === 'suggested') settle(null, message.json);
      else settle(new ComparisonError(message.message));
    });
    worker.on('error', (error) => settle(error));
    worker.on('exit', (code) => settle(new Error(`a suggestion worker stopped (exit code ${code}) before it finished`)));
    signal?.addEventListener('abort', stopped, { once: true });
    if (signal?.aborted) stopped();
    void feeder.fill();
  });
}
