/**
 * `npm run bench:replay`: how long comparing two rule-set versions on stored
 * history takes, next to a plain scan of the same history from the same
 * store, in one run.
 *
 * The history (bench/workload.ts: 1,000,000 events over 100,000 leads by
 * default) is imported once into a SQLite file through the import path and
 * cached under bench/.cache/ (keyed by the workload and rules/v1.json). Only
 * the read side is timed:
 *   (a) scan: every event read from the store lead by lead, page by page,
 *       exactly as a comparison reads them, and turned into event objects;
 *   (b) comparison: the whole comparison of v1 and a v2 built in memory (MQL
 *       threshold 50, webinars 30 points): reading, replay in the workers,
 *       metrics, what-if curves and the JSON report. A short comparison runs
 *       first, so the timed ones use warm worker threads, as in a server.
 * Each is run --runs times (default 5), alternating; the medians are reported,
 * wall-clock and process CPU time (all threads), with their ratio. Each run's
 * own ratio (its comparison against the scan just before it) is reported too:
 * on a shared machine the load drifts between runs, and a pair run back to
 * back sees nearly the same load. Goals: the median of those ratios within 3×,
 * and the comparison under 5 s.
 *
 * The peak resident memory of the process (all threads) is reported too, so
 * growth with history shows. For histories too large to generate in memory,
 * import a generated file with `leadflow import` (see `npm run bench:import`)
 * and pass it with --db.
 *
 * Options: --leads N --events N --runs N --rebuild (ignore the cache)
 * --db FILE (an existing database instead of the generated workload).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadRuleSetOrThrow, type CompiledRuleSet, type LeadEvent } from '../engine/index';
import { COMPARISON_PAGE_EVENTS } from '../server/config';
import { eventPages, type EventTuple } from '../server/comparisons/pages';
import type { ComparisonReport } from '../server/comparisons/report';
import { runComparison } from '../server/comparisons/run';
import type { WorkerTimings } from '../server/comparisons/worker';
import { openStore, type Store } from '../server/store/index';
import { historyDatabase, v1Text } from './history-cache';
import { DEFAULT_WORKLOAD } from './workload';

const GOAL_RATIO = 3;
const GOAL_SECONDS = 5;

const { values } = parseArgs({
  options: {
    leads: { type: 'string', default: String(DEFAULT_WORKLOAD.leads) },
    events: { type: 'string', default: String(DEFAULT_WORKLOAD.events) },
    runs: { type: 'string', default: '5' },
    rebuild: { type: 'boolean', default: false },
    db: { type: 'string' },
  },
});
const leads = Number(values.leads);
const events = Number(values.events);
const runs = Number(values.runs);

const count = new Intl.NumberFormat('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** v1, and a v2 that hands off earlier and values webinars more. */
function versions(): CompiledRuleSet[] {
  const v1 = JSON.parse(v1Text);
  const v2 = structuredClone(v1);
  v2.version = 'v2';
  v2.parent = 'v1';
  v2.lifecycle.thresholds.mql = 50;
  for (const rule of v2.scoring) if (rule.id === 'webinar-attended') rule.points = 30;
  return [loadRuleSetOrThrow(v1), loadRuleSetOrThrow(v2)];
}

interface Timing {
  wall: number;
  cpu: number;
}

async function timed<T>(work: () => Promise<T>): Promise<Timing & { value: T }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/** Reads every event as a comparison does, and makes the event objects; returns how many. */
async function scan(store: Store): Promise<number> {
  let read = 0;
  let last: LeadEvent | null = null;
  for await (const page of eventPages(store.history, null, COMPARISON_PAGE_EVENTS)) {
    for (const row of JSON.parse(page.json) as EventTuple[]) {
      last = { id: row[1], leadId: row[2], type: row[3], occurredAt: row[0], properties: row[4] };
      read++;
    }
  }
  if (last === null && read > 0) throw new Error('unreachable');
  return read;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const file = values.db ?? (await historyDatabase(leads, events, values.rebuild));
  if (!existsSync(file)) throw new Error(`--db ${file}: no such file`);
  const store = await openStore(file);
  const ruleSets = versions();
  try {
    // Warm-up: a short period, so the worker's code is compiled and cached and the file is in the page cache.
    await scan(store);
    await runComparison(store, { source: 'replay', ruleSets, until: DEFAULT_WORKLOAD.start.replace('01-01', '01-15') });

    const loadBefore = os.loadavg()[0]!;
    const scans: Timing[] = [];
    const comparisons: Timing[] = [];
    const workerTimings: WorkerTimings[] = [];
    let report: ComparisonReport | undefined;
    let read = 0;
    for (let run = 0; run < runs; run++) {
      const scanned = await timed(() => scan(store));
      read = scanned.value;
      scans.push(scanned);
      const compared = await timed(() => runComparison(store, { source: 'replay', ruleSets }, { onTimings: (t) => workerTimings.push(t) }));
      comparisons.push(compared);
      report = JSON.parse(compared.value) as ComparisonReport;
    }
    const loadAfter = os.loadavg()[0]!;

    const scanWall = median(scans.map((t) => t.wall));
    const scanCpu = median(scans.map((t) => t.cpu));
    const compareWall = median(comparisons.map((t) => t.wall));
    const compareCpu = median(comparisons.map((t) => t.cpu));
    const phase = (name: keyof WorkerTimings) => seconds(median(workerTimings.map((t) => t[name])));
    console.log(`History: ${count.format(read)} events of ${count.format(report!.versions[0]!.leads.total)} leads in ${file}`);
    console.log(
      `Load average: ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (${os.availableParallelism()} CPUs); medians of ${runs} runs`,
    );
    console.log('');
    console.log(`                        wall        cpu`);
    console.log(
      `(a) scan            ${seconds(scanWall).padStart(9)}  ${seconds(scanCpu).padStart(9)}   ${count.format(Math.round(read / (scanWall / 1000)))} events/s`,
    );
    console.log(
      `(b) comparison v1,v2 ${seconds(compareWall).padStart(8)}  ${seconds(compareCpu).padStart(9)}   ${count.format(Math.round(read / (compareWall / 1000)))} events/s`,
    );
    console.log(
      `ratio (b)/(a)       ${(compareWall / scanWall).toFixed(2).padStart(8)}×  ${(compareCpu / scanCpu).toFixed(2).padStart(8)}×`,
    );
    const pairs = scans.map((scanned, run) => comparisons[run]!.wall / scanned.wall);
    const pairRatio = median(pairs);
    console.log(`each run's ratio    ${pairs.map((ratio) => `${ratio.toFixed(2)}×`).join(' ')} (wall; median ${pairRatio.toFixed(2)}×)`);
    console.log('');
    console.log(
      `Workers (medians): start ${phase('start')}, replay ${phase('fold')} (of which waiting for pages ${phase('waiting')}), report ${phase('report')} (of which waiting for the other workers ${phase('waitingForPeers')}), JSON ${phase('serialise')}`,
    );
    console.log(`Peak resident memory (all threads): ${count.format(Math.round(process.resourceUsage().maxRSS / 1024))} MB`);
    console.log(
      `Hand-offs: ${report!.versions.map((v) => `${v.version} ${count.format(v.handOffs)}`).join(', ')}; leads changing: ${count.format(report!.diffs[0]!.changes.length)}`,
    );
    const ratioMet = pairRatio <= GOAL_RATIO;
    const timeMet = compareWall / 1000 < GOAL_SECONDS;
    console.log(
      `Goals: within ${GOAL_RATIO}× the scan (median of the runs' ratios) ${ratioMet ? 'met' : 'NOT met'}; under ${GOAL_SECONDS} s ${timeMet ? 'met' : 'NOT met'}`,
    );
  } finally {
    await store.close();
  }
}

await main();
