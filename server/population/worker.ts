/**
 * The population worker thread: takes one job at a time as a message and
 * answers with its outcome (or the error it met), keeping the sample's
 * histories between jobs (job.ts), so judging thousands of leads never holds
 * the thread that serves requests.
 */
import { parentPort } from 'node:worker_threads';
import { runPopulationJob, type PopulationJob } from './job';

// Loaded: the pool starts the job's clock from here, not from the thread's start.
parentPort!.postMessage({ ready: true });

parentPort!.on('message', (job: PopulationJob) => {
  try {
    parentPort!.postMessage({ outcome: runPopulationJob(job) });
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
