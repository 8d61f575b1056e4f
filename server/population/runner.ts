/**
 * What population requests share on one server: its sample of stored leads
 * (sample.ts) and the one worker thread that keeps their histories (job.ts).
 * The warm-up reads the sample and judges it under the active version once
 * soon after the server starts, so the first edit costs only the draft's pass.
 */
import type { Services } from '../context';
import { EvaluatePool } from '../evaluate-pool';
import { POPULATION_MAX_HEAP_MB, POPULATION_MAX_MS, POPULATION_MAX_QUEUED } from '../limits';
import type { PopulationJob, PopulationOutcome } from './job';
import { SampleCache, type PopulationSample } from './sample';

const WORKER = new URL('./worker.ts', import.meta.url).href;

/**
 * One thread for the process: it keeps the sample's histories, which a second
 * thread would have to parse again, and a draft's pass takes a fraction of a second.
 */
let pool: EvaluatePool<PopulationJob, PopulationOutcome> | undefined;
const samples = new WeakMap<Services, SampleCache>();

export function populationPool(): EvaluatePool<PopulationJob, PopulationOutcome> {
  pool ??= new EvaluatePool({
    worker: WORKER,
    size: 1,
    maxMs: POPULATION_MAX_MS,
    maxHeapMb: POPULATION_MAX_HEAP_MB,
    maxQueued: POPULATION_MAX_QUEUED,
  });
  return pool;
}

/** The sample of the server's store, one per server. */
export function sampleCache(services: Services): SampleCache {
  let cache = samples.get(services);
  if (!cache) {
    cache = new SampleCache(services.store, services.ingestion, services.now);
    samples.set(services, cache);
  }
  return cache;
}

/** The job judging `draft` on `sample` beside the active version, without the histories (the thread asks for them). */
export function populationJob(services: Services, sample: PopulationSample, draft: unknown, maxSteps: number, top: number): PopulationJob {
  const active = services.activation.active;
  return {
    sample: { generation: sample.generation, judgedAt: sample.judgedAt },
    active: { key: `${services.files.dir}:${active.version}`, definition: active.definition },
    draft,
    maxSteps,
    top,
  };
}

export interface WarmUp {
  /** Leads in the sample, and how long reading and judging them took. */
  leads: number;
  ms: number;
}

/**
 * Reads the sample and has the thread judge it under the active version (as
 * the draft too: the pass a first edit would otherwise wait for). Nothing to
 * do for a store without leads: its first read costs nothing, and a sample
 * read now would hide the first events stored for a while (POPULATION_REFRESH_MS).
 */
export async function warmPopulation(services: Services, maxSteps: number, top: number): Promise<WarmUp | null> {
  const started = performance.now();
  const [anyLead] = await services.store.history.leadIdPage(null, 1);
  if (anyLead === undefined) return null;
  const sample = await sampleCache(services).get();
  const job = populationJob(services, sample, services.activation.active.definition, maxSteps, top);
  const outcome = await populationPool().run({ ...job, sample: { ...job.sample, json: sample.json } });
  if (!outcome.ok) throw new Error(`the population warm-up was refused: ${JSON.stringify(outcome)}`);
  return { leads: sample.leads, ms: performance.now() - started };
}

/** Stops the server's sample from reading further (its store is closing). */
export function closePopulation(services: Services): void {
  samples.get(services)?.close();
}
