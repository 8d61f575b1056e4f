/**
 * Stateless evaluations (`POST /v1/evaluate`) run on worker threads, never on
 * the thread that serves requests: a rule set can be made to cost seconds per
 * event, and the main thread must keep answering `/health` and ingestion.
 * Each job has a step budget (counted in the worker), a wall-time limit and a
 * heap limit (the worker is ended and replaced when either is passed); jobs
 * beyond the workers wait in a bounded queue, and past it are refused.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EVALUATE_MAX_HEAP_MB, EVALUATE_MAX_MS, EVALUATE_MAX_QUEUED, EVALUATE_MAX_WORKERS } from './limits';
import type { EvaluateJob, EvaluateOutcome } from './evaluate-job';

const EVALUATE_WORKER = new URL('./evaluate-worker.ts', import.meta.url).href;

/** What a pool runs: a worker module (which answers `{ ready }` once loaded, then `{ outcome }` or `{ error }` per job) and its limits. */
export interface PoolOptions {
  /** URL of the worker module. */
  worker: string;
  size: number;
  maxMs: number;
  maxHeapMb: number;
  maxQueued: number;
}

const EVALUATE_POOL: PoolOptions = {
  worker: EVALUATE_WORKER,
  size: Math.max(1, Math.min(EVALUATE_MAX_WORKERS, availableParallelism() - 1)),
  maxMs: EVALUATE_MAX_MS,
  maxHeapMb: EVALUATE_MAX_HEAP_MB,
  maxQueued: EVALUATE_MAX_QUEUED,
};

/** Why a job failed without an outcome: over its time or memory, or the queue was full. */
export class EvaluationRefused extends Error {
  override name = 'EvaluationRefused';
  constructor(
    readonly reason: 'time' | 'memory' | 'queue',
    message: string,
  ) {
    super(message);
  }
}

/** A job whose caller gave up (its signal aborted) while it waited for a worker: it never ran. */
export class JobCancelled extends Error {
  override name = 'JobCancelled';
}

interface Queued<Job, Outcome> {
  job: Job;
  signal: AbortSignal | undefined;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

/** A worker runs TypeScript like this process: through tsx's loader, which a worker thread registers for itself. */
function startWorker(module: string, maxHeapMb: number): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(module)}); });`;
  return new Worker(boot, { eval: true, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } });
}

/** Worker threads for evaluation jobs, by default those of `POST /v1/evaluate` (other jobs name their worker in the options). */
export class EvaluatePool<Job = EvaluateJob, Outcome = EvaluateOutcome> {
  private readonly idle: Worker[] = [];
  private busy = 0;
  private readonly queue: Array<Queued<Job, Outcome>> = [];
  private readonly options: PoolOptions;

  constructor(options: Partial<PoolOptions> = {}) {
    this.options = { ...EVALUATE_POOL, ...options };
  }

  private get size(): number {
    return this.options.size;
  }

  private get maxMs(): number {
    return this.options.maxMs;
  }

  /**
   * Runs a job on a worker; rejects with {@link EvaluationRefused} when it is
   * over a limit or cannot wait, and with {@link JobCancelled} when `signal`
   * aborted before a worker took it.
   */
  run(job: Job, signal?: AbortSignal): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const { maxQueued } = this.options;
      if (this.busy >= this.size && this.queue.length >= maxQueued) {
        reject(new EvaluationRefused('queue', `${maxQueued} evaluations are already waiting`));
        return;
      }
      this.queue.push({ job, signal, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.busy < this.size && this.queue.length > 0) {
      const queued = this.queue.shift()!;
      if (queued.signal?.aborted) {
        queued.reject(new JobCancelled('the caller gave up before the job ran'));
        continue;
      }
      this.busy++;
      this.start(queued);
    }
  }

  private start(queued: Queued<Job, Outcome>): void {
    const reused = this.idle.pop();
    if (reused) return this.send(reused, queued);
    const worker = startWorker(this.options.worker, this.options.maxHeapMb);
    worker.once('message', () => this.send(worker, queued));
    worker.once('error', (error) => {
      this.busy--;
      queued.reject(error);
      this.next();
    });
  }

  private send(worker: Worker, { job, resolve, reject }: Queued<Job, Outcome>): void {
    worker.removeAllListeners('message');
    worker.removeAllListeners('error');
    worker.ref();
    let settled = false;
    const finish = (reusable: boolean) => {
      settled = true;
      clearTimeout(timer);
      worker.removeAllListeners('message');
      worker.removeAllListeners('error');
      worker.removeAllListeners('exit');
      if (reusable) {
        worker.unref();
        this.idle.push(worker);
      } else void worker.terminate();
      this.busy--;
      this.next();
    };
    // The time limit counts from the start of the job, not of its wait in the queue.
    const timer = setTimeout(() => {
      if (settled) return;
      finish(false);
      reject(new EvaluationRefused('time', `the evaluation ran longer than ${this.maxMs} ms`));
    }, this.maxMs);
    worker.on('message', (message: { outcome?: Outcome; error?: string }) => {
      if (settled) return;
      finish(true);
      if (message.outcome) resolve(message.outcome);
      else reject(new Error(`evaluation failed: ${message.error}`));
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (settled) return;
      finish(false);
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        reject(new EvaluationRefused('memory', `the evaluation needed more than ${this.options.maxHeapMb} MB`));
      } else reject(error);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      finish(false);
      reject(new Error(`evaluation worker stopped (exit code ${code})`));
    });
    try {
      worker.postMessage(job);
    } catch (error) {
      // The job could not be copied to the thread (too deep a value): the thread never saw it.
      finish(true);
      reject(error);
    }
  }

  /** Ends the idle workers (running jobs end with their own). */
  async close(): Promise<void> {
    const workers = this.idle.splice(0);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
