/**
 * Comparisons run by the API: started in the background, followed by id.
 * They never starve requests: one runs at a time (MAX_RUNNING_COMPARISONS) on
 * every CPU but one (SERVER_COMPARISON_WORKERS), its threads at a lower
 * scheduling priority than the one serving requests, and the others wait in
 * line with their position (at most MAX_QUEUED_COMPARISONS).
 * Kept in memory only: running and waiting comparisons and the last finished
 * ones (KEPT_COMPARISONS); a restart forgets them, and running one again gives
 * the same report for the same history.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { KEPT_COMPARISONS, MAX_QUEUED_COMPARISONS, MAX_RUNNING_COMPARISONS, SERVER_COMPARISON_WORKERS } from '../config';
import { ApiProblem } from '../problem';
import type { Store } from '../store/index';
import type { ComparisonSource } from './report';
import { ComparisonError, runComparison, type ComparisonRequest } from './run';

/** Progress reached once the whole history is replayed; building the report takes it to 1. */
const REPLAY_SHARE = 0.95;

export type ComparisonStatus = 'running' | 'done' | 'failed';

export interface Comparison {
  id: string;
  status: ComparisonStatus;
  /** Share of the history replayed, 0 to 1. */
  progress: number;
  /** Comparisons ahead of this one in line (0: running now); null once finished. */
  position: number | null;
  versions: string[];
  source: ComparisonSource;
  since: string | null;
  until: string | null;
  /** The judgement horizon asked for (null: the engine's default, stated in the report's options). */
  horizonDays: number | null;
  openAsLostAfterDays: number | null;
  startedAt: string;
  finishedAt: string | null;
  error?: string;
  /** The report as JSON text, once done. */
  report?: string;
}

export class Comparisons {
  private readonly all = new Map<string, Comparison>();
  private readonly stop = new AbortController();
  /** Comparisons waiting for their turn, first in line first. */
  private readonly waiting: Array<{ comparison: Comparison; request: ComparisonRequest }> = [];
  private running = 0;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  /**
   * Starts a comparison in the background, or puts it in line behind the one
   * running; throws a 503 problem when the line is full.
   */
  start(request: ComparisonRequest): Comparison {
    if (this.waiting.length >= MAX_QUEUED_COMPARISONS) {
      throw new ApiProblem(
        503,
        'unavailable',
        `${this.waiting.length} comparisons are waiting behind the one running, the most the line holds; start this one when one of them is done.`,
      );
    }
    const comparison: Comparison = {
      id: randomUUID(),
      status: 'running',
      progress: 0,
      position: this.waiting.length + 1,
      versions: request.ruleSets.map((ruleSet) => ruleSet.version),
      source: request.source,
      since: request.since ?? null,
      until: request.until ?? null,
      horizonDays: request.horizonDays ?? null,
      openAsLostAfterDays: request.openAsLostAfterDays ?? null,
      startedAt: this.now().toISOString(),
      finishedAt: null,
    };
    this.all.set(comparison.id, comparison);
    this.waiting.push({ comparison, request });
    this.next();
    return comparison;
  }

  /** Runs comparisons from the line while fewer than MAX_RUNNING_COMPARISONS run; the others move up. */
  private next(): void {
    while (this.running < MAX_RUNNING_COMPARISONS && this.waiting.length > 0) {
      const { comparison, request } = this.waiting.shift()!;
      this.running++;
      comparison.position = 0;
      this.run(comparison, request);
    }
    this.waiting.forEach(({ comparison }, i) => (comparison.position = i + 1));
  }

  private run(comparison: Comparison, request: ComparisonRequest): void {
    const started = performance.now();
    // Reading the history is most of the work; the report after it is the rest.
    const onProgress = (done: number, total: number) => (comparison.progress = total === 0 ? REPLAY_SHARE : (REPLAY_SHARE * done) / total);
    const options = { onProgress, signal: this.stop.signal, workers: SERVER_COMPARISON_WORKERS };
    runComparison(this.store, request, options).then(
      (report) => {
        this.finish(comparison, { status: 'done', progress: 1, report });
        this.logger.info(
          { comparison: comparison.id, versions: comparison.versions, ms: Math.round(performance.now() - started) },
          'comparison done',
        );
      },
      (error: unknown) => {
        // A replay's own errors are the user's to read; anything else stays in the log.
        const message = error instanceof ComparisonError ? error.message : 'the comparison failed; the server log has the details';
        this.finish(comparison, { status: 'failed', error: message });
        if (!(error instanceof ComparisonError)) this.logger.error({ err: error, comparison: comparison.id }, 'comparison failed');
      },
    );
  }

  get(id: string): Comparison | undefined {
    return this.all.get(id);
  }

  /** The newest comparison kept (running or finished) that `match` accepts. */
  newest(match: (comparison: Comparison) => boolean): Comparison | undefined {
    return [...this.all.values()].reverse().find(match);
  }

  /** Stops running comparisons (their workers end) and forgets the waiting ones. */
  close(): void {
    this.stop.abort();
    for (const { comparison } of this.waiting.splice(0)) this.all.delete(comparison.id);
  }

  private finish(comparison: Comparison, outcome: Partial<Comparison>): void {
    Object.assign(comparison, outcome, { position: null, finishedAt: this.now().toISOString() });
    this.running--;
    this.next();
    const finished = [...this.all.values()].filter((c) => c.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEPT_COMPARISONS))) this.all.delete(old.id);
  }
}
