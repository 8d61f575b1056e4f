/**
 * `npm run bench:population`: how long `POST /v1/rulesets/population` takes
 * to answer a threshold edit on 100,000 stored leads, against the goal of
 * 2 s from edit to figures.
 *
 * The history (bench/workload.ts: 1,000,000 events over 100,000 leads by
 * default, imported once and cached, see history-cache.ts) is copied to a
 * temporary file and served by a real server on a free port. Timed:
 *   - the server's warm-up: from the start of `serve()` until its background
 *     read of the sample and first judging on the worker thread are done
 *     (`populationWarm`), and how long `serve()` itself took (it listens
 *     before the warm-up, which must not delay it);
 *   - the first request (cold) once the server is up and warm, over HTTP:
 *     a person's first edit, only the draft judged;
 *   - --runs more requests (warm), each with another MQL and hot threshold,
 *     as a person dragging a slider makes them.
 * Also the time of one direct pass of the engine over the same sample (no
 * server), the baseline the warm requests are measured against.
 *
 * Options: --leads N --events N --runs N --rebuild (ignore the cache),
 * --without-warm-up (the server does not warm up: the first request reads the
 * sample, starts the thread and judges both versions, as before the warm-up).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { leadStanding, loadRuleSetOrThrow, type LeadEvent } from '../engine/index';
import { POPULATION_ID_PAGE, POPULATION_READ_LEADS, POPULATION_SAMPLE_LIMIT, POPULATION_SAMPLE_SEED } from '../server/config';
import { serve } from '../server/index';
import { compareHistory } from '../server/lead-history';
import { chooseSample } from '../server/population/sample';
import { openStore } from '../server/store/index';
import { historyDatabase, v1Text } from './history-cache';
import { DEFAULT_WORKLOAD } from './workload';

const GOAL_MS = 2_000;

const { values } = parseArgs({
  options: {
    leads: { type: 'string', default: String(DEFAULT_WORKLOAD.leads) },
    events: { type: 'string', default: String(DEFAULT_WORKLOAD.events) },
    runs: { type: 'string', default: '10' },
    rebuild: { type: 'boolean', default: false },
    'without-warm-up': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const ms = (value: number) => `${Math.round(value)} ms`;

interface PopulationReply {
  judgedAt: string;
  sample: { sampled: boolean; leads: number; total: number };
  active: { bands: Record<string, number>; handOffs: { total: number } };
  draft: { bands: Record<string, number>; handOffs: { total: number } };
  bandChanged: number;
}

/** A draft of v1 with other MQL and hot thresholds: the edit a person makes on the thresholds page. */
function draftWith(step: number): Record<string, unknown> {
  const draft = JSON.parse(v1Text) as Record<string, unknown> & { lifecycle: { thresholds: { mql: number } }; bands: { hot: number } };
  draft.lifecycle.thresholds.mql += 5 + step;
  draft.bands.hot += 5 + step;
  return draft;
}

async function timedRequest(url: string, key: string, ruleSet: unknown): Promise<{ ms: number; reply: PopulationReply }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/rulesets/population`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body: JSON.stringify({ ruleSet }),
  });
  const reply = (await response.json()) as PopulationReply;
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`population request failed (${response.status}): ${JSON.stringify(reply)}`);
  return { ms: elapsed, reply };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function main(): Promise<void> {
  const cached = await historyDatabase(Number(values.leads), Number(values.events), values.rebuild);
  const dir = mkdtempSync(join(tmpdir(), 'leadflow-population-'));
  try {
    const db = join(dir, 'history.db');
    copyFileSync(cached, db);
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules/v1.json'), v1Text);
    const baseline = await directPass(db);
    const adminKey = 'bench-population-admin-key-0001';
    const starting = performance.now();
    const warmPopulation = !values['without-warm-up'];
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      db,
      rulesDir: join(dir, 'rules'),
      adminKey,
      log: false,
      tickEveryMs: 0,
      warmPopulation,
    });
    const listening = performance.now() - starting;
    try {
      const warmUp = await server.populationWarm;
      if (warmPopulation && !warmUp) throw new Error('the server did not warm its population sample');
      const warmedAfter = performance.now() - starting;
      const cold = await timedRequest(server.url, adminKey, draftWith(0));
      const warm: number[] = [];
      let last = cold.reply;
      for (let run = 1; run <= runs; run++) {
        const timed = await timedRequest(server.url, adminKey, draftWith(run));
        warm.push(timed.ms);
        last = timed.reply;
      }
      warm.sort((a, b) => a - b);
      const { sample } = cold.reply;
      console.log(
        `Sample: ${sample.leads.toLocaleString('en-US')} of ${sample.total.toLocaleString('en-US')} leads${sample.sampled ? ' (seeded sample)' : ''}, judged at ${cold.reply.judgedAt}`,
      );
      console.log(
        `Last draft: ${last.bandChanged} leads change band; hand-offs ${last.active.handOffs.total} → ${last.draft.handOffs.total}`,
      );
      console.log(`Direct engine pass over the sample (baseline): ${ms(baseline)}`);
      console.log(
        warmUp
          ? `Server start: listening after ${ms(listening)}; population warm after ${ms(warmedAfter)} (warm-up ${ms(warmUp.ms)})`
          : `Server start: listening after ${ms(listening)}; no warm-up`,
      );
      console.log(
        `Cold (first request${warmUp ? ' once warm' : ', no warm-up'}):  ${ms(cold.ms)}  ${cold.ms <= GOAL_MS ? 'within' : 'OVER'} the ${GOAL_MS} ms goal`,
      );
      const p50 = percentile(warm, 0.5);
      const max = warm[warm.length - 1]!;
      console.log(
        `Warm (${runs} edits):     p50 ${ms(p50)} (${(p50 / baseline).toFixed(2)}× the direct pass), max ${ms(max)}  ${max <= GOAL_MS ? 'within' : 'OVER'} the ${GOAL_MS} ms goal`,
      );
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One pass of the engine over the leads the server samples, straight from the
 * store (read before the server opens the file): what the worker does per
 * edit, without a server, a thread or HTTP.
 */
async function directPass(db: string): Promise<number> {
  const store = await openStore(db);
  try {
    const ids: string[] = [];
    for (let after: string | null = null; ;) {
      const page = await store.history.leadIdPage(after, POPULATION_ID_PAGE);
      ids.push(...page);
      if (page.length < POPULATION_ID_PAGE) break;
      after = page[page.length - 1]!;
    }
    const byLead = new Map<string, LeadEvent[]>();
    const sampled = chooseSample(ids, POPULATION_SAMPLE_LIMIT, POPULATION_SAMPLE_SEED);
    for (let start = 0; start < sampled.length; start += POPULATION_READ_LEADS) {
      for (const tuple of await store.history.leadEventTuples(sampled.slice(start, start + POPULATION_READ_LEADS))) {
        const [occurredAt, id, leadId, type, properties] = JSON.parse(tuple) as [string, string, string, string, Record<string, unknown>];
        const list = byLead.get(leadId) ?? [];
        list.push({ id, leadId, type, occurredAt, properties });
        byLead.set(leadId, list);
      }
    }
    for (const list of byLead.values()) list.sort(compareHistory);
    const ruleSet = loadRuleSetOrThrow(draftWith(0));
    const now = Date.now();
    const started = performance.now();
    for (const [leadId, events] of byLead) leadStanding(ruleSet, leadId, events, now);
    return performance.now() - started;
  } finally {
    await store.close();
  }
}

await main();
