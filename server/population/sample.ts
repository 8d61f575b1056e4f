/**
 * The leads a population request judges: every stored lead, or beyond
 * POPULATION_SAMPLE_LIMIT a seeded sample of them, with their histories as
 * JSON text for the worker thread. Read on the request thread in small
 * queries with a pause between them (on SQLite a query holds the thread), and
 * kept in memory: edits in a row judge the same leads at the same time, so
 * their figures move only because of the edit.
 */
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import {
  POPULATION_ID_PAGE,
  POPULATION_READ_LEADS,
  POPULATION_REFRESH_MS,
  POPULATION_SAMPLE_LIMIT,
  POPULATION_SAMPLE_SEED,
  POPULATION_TTL_MS,
} from '../config';
import type { Ingestion } from '../ingestion';
import type { Store } from '../store/index';

export interface PopulationSample {
  /** Tells samples apart: the worker keeps the histories of one generation. */
  generation: number;
  /** Event tuples `[occurredAt, id, leadId, type, properties]` of every sampled lead, as one JSON array, in no particular order. */
  json: string;
  /** Leads judged, and stored leads in all. */
  leads: number;
  total: number;
  seed: string;
  limit: number;
  /** When the sample was read: the time its leads are judged at. */
  judgedAt: string;
  /** Ingestion revision when it was read, and when (epoch ms of the server's clock). */
  revision: number;
  readAt: number;
}

/** FNV-1a of the seed and the id: a stable, well-spread number per lead, the same on every server. */
export function sampleHash(seed: string, leadId: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed}\u0000${leadId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The sampled ids among `ids`: all of them up to `limit`, else the `limit`
 * ids with the lowest hashes (ties by id), sorted by id.
 */
export function chooseSample(ids: readonly string[], limit: number, seed: string): string[] {
  if (ids.length <= limit) return [...ids].sort();
  return ids
    .map((id) => ({ id, hash: sampleHash(seed, id) }))
    .sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit)
    .map((entry) => entry.id)
    .sort();
}

let generations = 0;

/** A read stopped between two queries because the store is closing. */
export class SampleReadStopped extends Error {
  override name = 'SampleReadStopped';
}

/** Reads the sample from the store now, unless `stopped()` says to give up between two queries. */
async function readSample(store: Store, revision: number, now: Date, limit: number, stopped: () => boolean): Promise<PopulationSample> {
  const pause = async () => {
    await yieldToRequests();
    if (stopped()) throw new SampleReadStopped('the sample was not read: the server is closing');
  };
  const ids: string[] = [];
  for (let after: string | null = null; ;) {
    const page = await store.history.leadIdPage(after, POPULATION_ID_PAGE);
    ids.push(...page);
    if (page.length < POPULATION_ID_PAGE) break;
    after = page[page.length - 1]!;
    await pause();
  }
  const sampled = chooseSample(ids, limit, POPULATION_SAMPLE_SEED);
  const parts: string[] = [];
  for (let start = 0; start < sampled.length; start += POPULATION_READ_LEADS) {
    const tuples = await store.history.leadEventTuples(sampled.slice(start, start + POPULATION_READ_LEADS));
    if (tuples.length > 0) parts.push(tuples.join(','));
    await pause();
  }
  return {
    generation: ++generations,
    json: `[${parts.join(',')}]`,
    leads: sampled.length,
    total: ids.length,
    seed: POPULATION_SAMPLE_SEED,
    limit,
    judgedAt: now.toISOString(),
    revision,
    readAt: now.getTime(),
  };
}

/** The sample of one server's store, read again when events were stored since (not sooner than POPULATION_REFRESH_MS) or after POPULATION_TTL_MS. */
export class SampleCache {
  private current: PopulationSample | undefined;
  private reading: Promise<PopulationSample> | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly ingestion: Pick<Ingestion, 'revision'>,
    private readonly now: () => Date,
    private readonly limit = POPULATION_SAMPLE_LIMIT,
  ) {}

  private fresh(sample: PopulationSample): boolean {
    const age = this.now().getTime() - sample.readAt;
    if (age >= POPULATION_TTL_MS || age < 0) return false;
    return sample.revision === this.ingestion.revision || age < POPULATION_REFRESH_MS;
  }

  /**
   * The sample. One out of date because events arrived is still answered
   * while its successor is read (edits stay quick while events arrive); with
   * none, or one past POPULATION_TTL_MS, the read is awaited. Requests at once
   * share one read.
   */
  async get(): Promise<PopulationSample> {
    const current = this.current;
    if (current && this.fresh(current)) return current;
    this.reading ??= readSample(this.store, this.ingestion.revision, this.now(), this.limit, () => this.closed)
      .then((sample) => (this.current = sample))
      .finally(() => (this.reading = undefined));
    const age = current ? this.now().getTime() - current.readAt : Infinity;
    if (!current || age >= POPULATION_TTL_MS || age < 0) return this.reading;
    // Read in the background: a failure reaches the next request past the TTL, which awaits its own read.
    this.reading.catch(() => undefined);
    return current;
  }

  /** Stops a read in progress at its next pause, and any later one: the store is closing. */
  close(): void {
    this.closed = true;
  }
}
