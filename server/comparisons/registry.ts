/**
 * Comparisons run by the API: started in the background, followed by id.
 * Kept in memory only: a running comparison and the last finished ones
 * (KEPT_COMPARISONS); a restart forgets them, and running one again gives the
 * same report for the same history.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { KEPT_COMPARISONS, MAX_RUNNING_COMPARISONS } from '../config';
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

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  /** Starts a comparison in the background; throws a 503 problem when too many are running. */
  start(request: ComparisonRequest): Comparison {
    const running = [...this.all.values()].filter((c) => c.status === 'running').length;
    if (running >= MAX_RUNNING_COMPARISONS) {
      throw new ApiProblem(
        503,
        'unavailable',
        `${running} comparisons are running, the most at once; start this one when one of them is done.`,
      );
    }
    const comparison: Comparison = {
      id: randomUUID(),
      status: 'running',
      progress: 0,
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
    const started = performance.now();
    // Reading the history is most of the work; the report after it is the rest.
    const onProgress = (done: number, total: number) => (comparison.progress = total === 0 ? REPLAY_SHARE : (REPLAY_SHARE * done) / total);
    runComparison(this.store, request, { onProgress, signal: this.stop.signal }).then(
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
    return comparison;
  }

  get(id: string): Comparison | undefined {
    return this.all.get(id);
  }

  /** The newest comparison kept (running or finished) that `match` accepts. */
  newest(match: (comparison: Comparison) => boolean): Comparison | undefined {
    return [...this.all.values()].reverse().find(match);
  }

  /** Stops running comparisons (their workers end). */
  close(): void {
    this.stop.abort();
  }

  private finish(comparison: Comparison, outcome: Partial<Comparison>): void {
    Object.assign(comparison, outcome, { finishedAt: this.now().toISOString() });
    const finished = [...this.all.values()].filter((c) => c.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEPT_COMPARISONS))) this.all.delete(old.id);
  }
}
