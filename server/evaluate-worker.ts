/**
 * A worker thread of the evaluation pool: takes one job at a time as a
 * message and answers with its outcome (or the error it met), so a costly
 * preview never holds the thread that serves requests.
 */
import { parentPort } from 'node:worker_threads';
import { runEvaluateJob, type EvaluateJob } from './evaluate-job';

// Loaded: the pool starts the job's clock from here, not from the thread's start.
parentPort!.postMessage({ ready: true });

parentPort!.on('message', (job: EvaluateJob) => {
  try {
    parentPort!.postMessage({ outcome: runEvaluateJob(job) });
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
