/**
 * Comparisons run by the API: started in the background, followed by id.
 * They never starve requests: one runs at a time (MAX_RUNNING_COMPARISONS) on
 * every CPU but one (SERVER_COMPARISON_WORKERS), its threads at a lower
 * scheduling priority than the one serving requests, and the others wait in
 * line with their position (at most MAX_QUEUED_COMPARISONS).
 * Each server keeps its own in memory (running, waiting, and the last
 * KEPT_COMPARISONS finished) and writes them to the database, so that every
 * server sharing it can answer for any comparison: a running one is written
 * about once a second, and one not written for STALE_AFTER_MS is reported
 * failed (the server running it stopped). Running one again gives the same
 * report for the same history.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  KEPT_COMPARISONS,
  MAX_QUEUED_COMPARISONS,
  MAX_RUNNING_COMPARISONS,
  SERVER_COMPARISON_PAGE_EVENTS,
  SERVER_COMPARISON_PAGE_LEADS,
  SERVER_COMPARISON_WORKERS,
} from '../config';
import { ApiProblem } from '../problem';
import type { Store } from '../store/index';
import type { ComparisonSource } from './report';
import { ComparisonError, runComparison, type ComparisonRequest } from './run';

/** How often the server running a comparison writes its progress to the database. */
const HEARTBEAT_MS = 1_000;
/** A running comparison not written for this long is reported failed: the server running it stopped. */
const STALE_AFTER_MS = 30_000;

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
  /** Per comparison, its last write to the database: writes of one comparison go in order, the final one last. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly heartbeats = new Set<NodeJS.Timeout>();

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
    this.save(comparison);
    return comparison;
  }

  /** Writes the comparison to the database after its earlier writes; a failed write is logged, never thrown. */
  private save(comparison: Comparison): Promise<void> {
    const { report, ...state } = comparison;
    const text = JSON.stringify(state);
    const at = this.now().toISOString();
    const write = (this.writes.get(comparison.id) ?? Promise.resolve())
      .then(() => this.store.comparisons.save(comparison.id, text, report ?? null, at))
      .catch((error: unknown) => this.logger.warn({ err: error, comparison: comparison.id }, 'comparison not written to the database'));
    this.writes.set(comparison.id, write);
    return write;
  }

  /**
   * A comparison by id: this server's own, else one another server sharing
   * the database runs or ran (failed when not written for STALE_AFTER_MS).
   */
  async find(id: string): Promise<Comparison | undefined> {
    const own = this.all.get(id);
    if (own) return own;
    const stored = await this.store.comparisons.find(id);
    if (!stored) return undefined;
    const comparison = { ...(JSON.parse(stored.state) as Comparison), ...(stored.report !== null && { report: stored.report }) };
    if (comparison.status === 'running' && this.now().getTime() - Date.parse(stored.updatedAt) > STALE_AFTER_MS) {
      return {
        ...comparison,
        status: 'failed',
        position: null,
        error: 'the server running this comparison stopped before it finished; start it again',
      };
    }
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
    this.waiting.forEach(({ comparison }, i) => {
      comparison.position = i + 1;
      this.save(comparison);
    });
  }

  private run(comparison: Comparison, request: ComparisonRequest): void {
    const started = performance.now();
    // Reading the history is most of the work; the report after it is the rest.
    const onProgress = (done: number, total: number) => (comparison.progress = total === 0 ? REPLAY_SHARE : (REPLAY_SHARE * done) / total);
    const pageSize = request.source === 'replay' ? SERVER_COMPARISON_PAGE_EVENTS : SERVER_COMPARISON_PAGE_LEADS;
    const options = { onProgress, signal: this.stop.signal, workers: SERVER_COMPARISON_WORKERS, pageSize };
    this.save(comparison);
    const heartbeat = setInterval(() => void this.save(comparison), HEARTBEAT_MS);
    heartbeat.unref();
    this.heartbeats.add(heartbeat);
    const stopBeating = () => {
      clearInterval(heartbeat);
      this.heartbeats.delete(heartbeat);
    };
    runComparison(this.store, request, options).then(
      (report) => {
        stopBeating();
        this.finish(comparison, { status: 'done', progress: 1, report });
        this.logger.info(
          { comparison: comparison.id, versions: comparison.versions, ms: Math.round(performance.now() - started) },
          'comparison done',
        );
      },
      (error: unknown) => {
        // A replay's own errors are the user's to read; anything else stays in the log.
        const message = error instanceof ComparisonError ? error.message : 'the comparison failed; the server log has the details';
        stopBeating();
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
    for (const heartbeat of this.heartbeats) clearInterval(heartbeat);
    this.heartbeats.clear();
    for (const { comparison } of this.waiting.splice(0)) this.all.delete(comparison.id);
  }

  private finish(comparison: Comparison, outcome: Partial<Comparison>): void {
    Object.assign(comparison, outcome, { position: null, finishedAt: this.now().toISOString() });
    this.running--;
    this.next();
    void this.save(comparison).then(() => {
      this.writes.delete(comparison.id);
      return this.store.comparisons
        .prune(KEPT_COMPARISONS)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'old comparisons not pruned'));
    });
    const finished = [...this.all.values()].filter((c) => c.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEPT_COMPARISONS))) this.all.delete(old.id);
  }
}
