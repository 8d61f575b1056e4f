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
 *
 * Suggestions of points (server/suggestions/) wait in the same line and run
 * on the same threads: one job of either kind runs at a time, so neither
 * starves requests or the other.
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
export type JobKind = 'comparison' | 'suggestion';

/** What every job in the line has, whatever its kind. */
export interface Job {
  id: string;
  /** Absent on comparisons stored before suggestions shared the line. */
  kind?: JobKind;
  status: ComparisonStatus;
  /** Share of the work done, 0 to 1. */
  progress: number;
  /** Jobs ahead of this one in line (0: running now); null once finished. */
  position: number | null;
  startedAt: string;
  finishedAt: string | null;
  /** Why it failed, in words meant for the user. */
  error?: string;
  /** The report (or result) as JSON text, once done. */
  report?: string;
}

/** A job's work, run when its turn comes: resolves with its report as JSON text, reporting the share done (0 to 1) as it goes. */
export type JobWork = (options: { onProgress: (share: number) => void; signal: AbortSignal }) => Promise<string>;

/** The fields of a job that the line fills in. */
type Queued = 'id' | 'status' | 'progress' | 'position' | 'startedAt' | 'finishedAt';

export interface Comparison extends Job {
  kind?: 'comparison';
  versions: string[];
  source: ComparisonSource;
  since: string | null;
  until: string | null;
  /** The judgement horizon asked for (null: the engine's default, stated in the report's options). */
  horizonDays: number | null;
  openAsLostAfterDays: number | null;
}

const kindOf = (job: Job): JobKind => job.kind ?? 'comparison';
const isComparison = (job: Job): job is Comparison => kindOf(job) === 'comparison';

export class Comparisons {
  private readonly all = new Map<string, Job>();
  private readonly stop = new AbortController();
  /** Jobs waiting for their turn, first in line first. */
  private readonly waiting: Array<{ job: Job; work: JobWork }> = [];
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
    // Reading the history is most of the work; the report after it is the rest.
    const work: JobWork = ({ onProgress, signal }) =>
      runComparison(this.store, request, {
        onProgress: (done, total) => onProgress(total === 0 ? REPLAY_SHARE : (REPLAY_SHARE * done) / total),
        signal,
        workers: SERVER_COMPARISON_WORKERS,
        pageSize: request.source === 'replay' ? SERVER_COMPARISON_PAGE_EVENTS : SERVER_COMPARISON_PAGE_LEADS,
      });
    return this.enqueue<Comparison>(
      {
        versions: request.ruleSets.map((ruleSet) => ruleSet.version),
        source: request.source,
        since: request.since ?? null,
        until: request.until ?? null,
        horizonDays: request.horizonDays ?? null,
        openAsLostAfterDays: request.openAsLostAfterDays ?? null,
      },
      work,
    );
  }

  /**
   * Puts a job of any kind in line (it runs at once when none is running);
   * throws a 503 problem when the line is full.
   */
  enqueue<T extends Job>(fields: Omit<T, Queued>, work: JobWork): T {
    if (this.waiting.length >= MAX_QUEUED_COMPARISONS) {
      throw new ApiProblem(
        503,
        'unavailable',
        `${this.waiting.length} jobs (comparisons or suggestions) are waiting behind the one running, the most the line holds; start this one when one of them is done.`,
      );
    }
    const job = {
      ...fields,
      id: randomUUID(),
      status: 'running',
      progress: 0,
      position: this.waiting.length + 1,
      startedAt: this.now().toISOString(),
      finishedAt: null,
    } as T;
    this.all.set(job.id, job);
    this.waiting.push({ job, work });
    this.next();
    this.save(job);
    return job;
  }

  /** Writes the comparison to the database after its earlier writes; a failed write is logged, never thrown. */
  private save(job: Job): Promise<void> {
    const { report, ...state } = job;
    const text = JSON.stringify(state);
    const at = this.now().toISOString();
    const write = (this.writes.get(job.id) ?? Promise.resolve())
      .then(() => this.store.comparisons.save(job.id, text, report ?? null, at))
      .catch((error: unknown) => this.logger.warn({ err: error, [kindOf(job)]: job.id }, `${kindOf(job)} not written to the database`));
    this.writes.set(job.id, write);
    return write;
  }

  /**
   * A comparison by id: this server's own, else one another server sharing
   * the database runs or ran (failed when not written for STALE_AFTER_MS).
   */
  async find(id: string): Promise<Comparison | undefined> {
    const job = await this.findJob(id);
    return job && isComparison(job) ? job : undefined;
  }

  /** A job of any kind by id, as {@link find} reads it. */
  async findJob(id: string): Promise<Job | undefined> {
    const own = this.all.get(id);
    if (own) return own;
    const stored = await this.store.comparisons.find(id);
    if (!stored) return undefined;
    const job = { ...(JSON.parse(stored.state) as Job), ...(stored.report !== null && { report: stored.report }) };
    if (job.status === 'running' && this.now().getTime() - Date.parse(stored.updatedAt) > STALE_AFTER_MS) {
      return {
        ...job,
        status: 'failed',
        position: null,
        error: `the server running this ${kindOf(job)} stopped before it finished; start it again`,
      };
    }
    return job;
  }

  /** Runs jobs from the line while fewer than MAX_RUNNING_COMPARISONS run; the others move up. */
  private next(): void {
    while (this.running < MAX_RUNNING_COMPARISONS && this.waiting.length > 0) {
      const { job, work } = this.waiting.shift()!;
      this.running++;
      job.position = 0;
      this.run(job, work);
    }
    this.waiting.forEach(({ job }, i) => {
      job.position = i + 1;
      this.save(job);
    });
  }

  private run(job: Job, work: JobWork): void {
    const started = performance.now();
    const kind = kindOf(job);
    const onProgress = (share: number) => (job.progress = share);
    this.save(job);
    const heartbeat = setInterval(() => void this.save(job), HEARTBEAT_MS);
    heartbeat.unref();
    this.heartbeats.add(heartbeat);
    const stopBeating = () => {
      clearInterval(heartbeat);
      this.heartbeats.delete(heartbeat);
    };
    work({ onProgress, signal: this.stop.signal }).then(
      (report) => {
        stopBeating();
        this.finish(job, { status: 'done', progress: 1, report });
        this.logger.info({ [kind]: job.id, ms: Math.round(performance.now() - started) }, `${kind} done`);
      },
      (error: unknown) => {
        // A job's own errors are the user's to read; anything else stays in the log.
        const message = error instanceof ComparisonError ? error.message : `the ${kind} failed; the server log has the details`;
        stopBeating();
        this.finish(job, { status: 'failed', error: message });
        if (!(error instanceof ComparisonError)) this.logger.error({ err: error, [kind]: job.id }, `${kind} failed`);
      },
    );
  }

  get(id: string): Comparison | undefined {
    const job = this.all.get(id);
    return job && isComparison(job) ? job : undefined;
  }

  /** The newest comparison kept (running or finished) that `match` accepts. */
  newest(match: (comparison: Comparison) => boolean): Comparison | undefined {
    return [...this.all.values()].reverse().find((job): job is Comparison => isComparison(job) && match(job));
  }

  /** Stops running comparisons (their workers end) and forgets the waiting ones. */
  close(): void {
    this.stop.abort();
    for (const heartbeat of this.heartbeats) clearInterval(heartbeat);
    this.heartbeats.clear();
    for (const { job } of this.waiting.splice(0)) this.all.delete(job.id);
  }

  private finish(job: Job, outcome: Partial<Job>): void {
    Object.assign(job, outcome, { position: null, finishedAt: this.now().toISOString() });
    this.running--;
    this.next();
    void this.save(job).then(() => {
      this.writes.delete(job.id);
      return this.store.comparisons
        .prune(KEPT_COMPARISONS)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'old comparisons not pruned'));
    });
    const finished = [...this.all.values()].filter((c) => c.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEPT_COMPARISONS))) this.all.delete(old.id);
  }
}
