/**
 * Comparison worker threads, started once and reused. A new thread has to
 * load the TypeScript loader and the engine before it can replay anything,
 * which costs most of a second of CPU; a comparison takes threads from here
 * and gives them back when it succeeds. A comparison that fails or is stopped
 * terminates its threads instead, so a thread is only reused after a clean run.
 * Idle threads do not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { COMPARISON_WORKER_YOUNG_GENERATION_MB } from '../config';

const WORKER = new URL('./worker.ts', import.meta.url).href;

/** A worker runs TypeScript like this process: through tsx's loader, which a worker thread has to register for itself. */
function startWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER)}); });`;
  return new Worker(boot, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: COMPARISON_WORKER_YOUNG_GENERATION_MB } });
}

export class WorkerPool {
  private readonly idle = new Set<Worker>();

  /** @param keep idle threads kept at most. */
  constructor(private readonly keep: number) {}

  /** An idle thread, or a new one. */
  take(): Worker {
    const [worker] = this.idle;
    if (worker) {
      this.idle.delete(worker);
      worker.removeAllListeners('exit');
      worker.ref();
      return worker;
    }
    return startWorker();
  }

  /** Takes back a thread that finished its job cleanly; the listeners its job added are removed. */
  give(worker: Worker): void {
    // Only these events: Node keeps its own listeners on others (newListener) to reference the thread's port.
    for (const event of ['message', 'error', 'exit'] as const) worker.removeAllListeners(event);
    if (this.idle.size >= this.keep) {
      void worker.terminate();
      return;
    }
    worker.unref();
    worker.once('exit', () => this.idle.delete(worker));
    this.idle.add(worker);
  }

  /** Ends the idle threads. */
  async close(): Promise<void> {
    const workers = [...this.idle];
    this.idle.clear();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
