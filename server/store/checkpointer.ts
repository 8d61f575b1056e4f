/**
 * SQLite only: WAL checkpoints off the request path. A checkpoint copies
 * committed pages from the WAL back into the database file and syncs both
 * files. By default SQLite runs one in the connection that commits whenever
 * the WAL passes 1,000 pages, and every request waits behind it (a batch of
 * 1,000 events writes more than that, so nearly every batch paid for one).
 * Here a worker thread with a connection of its own runs a passive checkpoint,
 * which never blocks readers or writers, every {@link CHECKPOINT_INTERVAL_MS};
 * the serving connection checkpoints by itself only past
 * {@link FALLBACK_CHECKPOINT_PAGES}, when the worker has fallen behind or
 * found no moment between commits to finish. Which connection checkpoints
 * changes nothing about durability: a commit is in the WAL before it returns.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * How often the worker checkpoints; one with nothing to copy costs a few
 * microseconds. Measured against 200 ms: more single events per second and a
 * lower p99, the same batch throughput.
 */
export const CHECKPOINT_INTERVAL_MS = 20;
/** WAL pages past which the serving connection checkpoints after a commit. */
export const FALLBACK_CHECKPOINT_PAGES = 10_000;
/** SQLite's own threshold, restored should the worker fail. */
export const DEFAULT_CHECKPOINT_PAGES = 1_000;
/** The WAL file is cut back to this size when it restarts, after a fallback has let it grow. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

// Plain JavaScript, run with `eval`: the worker needs neither TypeScript nor the server's modules.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const database = new Database(workerData.file, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    database.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // Another checkpoint (the fallback) holds the lock: try again next time.
    if (error.code !== 'SQLITE_BUSY' && error.code !== 'SQLITE_LOCKED') throw error;
  }
}, workerData.interval);
parentPort.once('message', () => {
  clearInterval(timer);
  database.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker; resolves once its thread has ended (its connection closed), so the files can be removed. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `file` in a worker thread. Should the worker fail,
 * `onFailure` gets the error (the caller restores SQLite's own checkpoints).
 */
export function startCheckpointer(file: string, onFailure: (error: Error) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file, interval: CHECKPOINT_INTERVAL_MS },
  });
  worker.unref();
  worker.once('error', onFailure);
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: () => {
      // Held by the event loop again until it ends: a caller awaiting its end must not see the process exit first.
      worker.ref();
      worker.postMessage('stop');
      return ended;
    },
  };
}
