/**
 * Whether heavy work slows everyone else. Measures `/health` and
 * single-event ingestion (autocannon, p50/p99) on a server alone, then again
 * while heavy work runs, and reports the ratios:
 *
 * - `--load previews` (`npm run bench:evaluate-load`): clients keep sending
 *   `POST /v1/evaluate` with a rule set that costs 9,000,000 steps per event
 *   on 1,000 events (each refused with 422 once over its budget). Goal:
 *   `/health` and ingestion p99 under 100 ms meanwhile.
 * - `--load comparisons` (`npm run bench:comparison-load`): the server holds
 *   a history of 200,000 events of 20,000 leads and comparisons of two
 *   versions keep running back to back (three kept in line). Goal: ingestion
 *   p99 under 50 ms meanwhile.
 *
 * Options: --duration S (per measurement, default 10) --connections N
 * (default 10) --evaluators N (costly preview clients at once, default 8).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { storeHistory } from '../server/history-import';
import { openHistory } from '../server/index';
import { ROOT, start, stop } from './processes';
import { generateWorkload } from './workload';

const ADMIN_KEY = 'bench-admin-key-0123456789';
const BASE_TIME = Date.parse('2027-01-01T00:00:00Z');

const { values: options } = parseArgs({
  options: {
    load: { type: 'string', default: 'previews' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    evaluators: { type: 'string', default: '8' },
  },
});
const duration = Number(options.duration);
const connections = Number(options.connections);
const evaluators = Number(options.evaluators);
if (options.load !== 'previews' && options.load !== 'comparisons')
  throw new Error(`--load is previews or comparisons, not ${options.load}`);

const v1 = JSON.parse(readFileSync(join(ROOT, 'rules', 'v1.json'), 'utf8'));
const items = Array.from({ length: 3_000 }, (_, i) => i);
const costly = {
  ...v1,
  scoring: [{ ...v1.scoring[0], when: { some: [items, { some: [items, { '==': [1, 2] }] }] } }, ...v1.scoring.slice(1)],
};
const costlyBody = JSON.stringify({
  ruleSet: costly,
  events: Array.from({ length: 1_000 }, (_, i) => ({ type: 'email_open', occurredAt: new Date(BASE_TIME + i * 60_000).toISOString() })),
});

let sequence = 0;
const nextEvent = () => {
  const n = sequence++;
  return JSON.stringify({
    id: `load-${n}`,
    leadId: `load-lead-${n % 500}`,
    type: 'email_open',
    occurredAt: new Date(BASE_TIME + n * 1_000).toISOString(),
  });
};

type Latency = { p50: number; p99: number; requests: number; non2xx: number };

async function latency(opts: autocannon.Options): Promise<Latency> {
  const result = await autocannon({ connections, duration, ...opts });
  return { p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, non2xx: result.non2xx };
}

/** A workspace whose rules hold v1 and a v2 that hands off earlier; for comparisons, a stored history. */
async function workspace(): Promise<{ dir: string; db: string; rulesDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'leadflow-bench-interference-'));
  const rulesDir = join(dir, 'rules');
  cpSync(join(ROOT, 'rules'), rulesDir, { recursive: true });
  writeFileSync(
    join(rulesDir, 'v2.json'),
    JSON.stringify({ ...v1, version: 'v2', lifecycle: { ...v1.lifecycle, thresholds: { ...v1.lifecycle.thresholds, mql: 50 } } }),
  );
  const db = join(dir, 'bench.db');
  if (options.load === 'comparisons') {
    const history = await openHistory({ db, rulesDir });
    await storeHistory(history, generateWorkload({ leads: 20_000, events: 200_000 }).events, { recordedBy: 'bench' });
    await history.close();
  }
  return { dir, db, rulesDir };
}

async function keyFor(url: string, role: string): Promise<string> {
  const reply = await fetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `bench ${role}`, role }),
  });
  return ((await reply.json()) as { key: string }).key;
}

/** Keeps the heavy work going until `running()` is false; returns what it did, for the report. */
function heavyWork(url: string, key: string, running: () => boolean): Array<Promise<string>> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  if (options.load === 'previews') {
    const statuses = new Map<number, number>();
    return Array.from({ length: evaluators }, async () => {
      while (running()) {
        const reply = await fetch(`${url}/v1/evaluate`, { method: 'POST', headers, body: costlyBody });
        await reply.arrayBuffer();
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      }
      return `previews answered: ${[...statuses].map(([status, n]) => `${n} × ${status}`).join(', ')}`;
    });
  }
  let done = 0;
  // Three clients, each starting a comparison and following it to its end: one runs, two wait in line.
  return Array.from({ length: 3 }, async () => {
    while (running()) {
      const started = await fetch(`${url}/v1/comparisons`, { method: 'POST', headers, body: JSON.stringify({ versions: ['v1', 'v2'] }) });
      const { id } = (await started.json()) as { id: string };
      for (;;) {
        const state = (await (await fetch(`${url}/v1/comparisons/${id}`, { headers })).json()) as { status: string };
        if (state.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      done++;
    }
    return `comparisons finished: ${done}`;
  });
}

async function main(): Promise<void> {
  const { dir, db, rulesDir } = await workspace();
  // The scheduler off: the stored history is dated in 2026, so every lead would be due for a tick at once, and the
  // server would tick them all while "alone" is measured. Its population warm-up (a read of the stored leads) ends first.
  const api = await start(['server/main.ts', '--port', '0', '--db', db, '--rules-dir', rulesDir, '--tick-every', 'off'], {
    LEADFLOW_ADMIN_KEY: ADMIN_KEY,
  });
  try {
    await api.warm;
    const ingestKey = await keyFor(api.url, 'ingest');
    const heavyKey = await keyFor(api.url, options.load === 'previews' ? 'ingest' : 'editor');
    const headers = { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' };
    const health = () => latency({ url: `${api.url}/health` });
    const ingest = () =>
      latency({
        url: `${api.url}/v1/events`,
        method: 'POST',
        headers,
        requests: [{ setupRequest: (req) => ({ ...req, body: nextEvent() }) }],
      });

    await latency({ url: `${api.url}/health`, duration: 2 });
    const quiet = { health: await health(), ingest: await ingest() };
    let running = true;
    const work = heavyWork(api.url, heavyKey, () => running);
    const loaded = { health: await health(), ingest: await ingest() };
    running = false;
    const summaries = await Promise.all(work);

    const row = (name: string, a: Latency, b: Latency) =>
      console.log(
        `${name.padEnd(10)} alone p50 ${a.p50} ms p99 ${a.p99} ms (${a.requests} req) | with ${options.load} p50 ${b.p50} ms p99 ${b.p99} ms (${b.requests} req, non-2xx ${b.non2xx}) | p99 ratio ${(b.p99 / Math.max(a.p99, 1)).toFixed(2)}`,
      );
    console.log(`interference benchmark (${options.load}): ${duration}s per measurement, ${connections} connections`);
    row('/health', quiet.health, loaded.health);
    row('events', quiet.ingest, loaded.ingest);
    console.log([...new Set(summaries)].join('; '));
    const limit = options.load === 'previews' ? 100 : 50;
    const met = loaded.ingest.p99 < limit && (options.load === 'comparisons' || loaded.health.p99 < limit);
    console.log(
      `goal: ingestion${options.load === 'previews' ? ' and /health' : ''} p99 < ${limit} ms meanwhile: ${met ? 'met' : 'MISSED'}`,
    );
  } finally {
    await stop(api.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
