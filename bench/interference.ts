/**
 * `npm run bench:evaluate-load`: whether costly previews slow everyone else.
 * Measures `/health` and single-event ingestion (autocannon, p50/p99) on a
 * server alone, then again while clients keep sending `POST /v1/evaluate`
 * with a rule set that costs 9,000,000 steps per event on 1,000 events (each
 * refused with 422 once over its budget), and reports the ratios. The goal:
 * `/health` and ingestion p99 under 100 ms meanwhile.
 *
 * Options: --duration S (per measurement, default 10) --connections N
 * (default 10) --evaluators N (costly clients at once, default 8).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ROOT, start, stop } from './processes';

const ADMIN_KEY = 'bench-admin-key-0123456789';
const BASE_TIME = Date.parse('2026-01-01T00:00:00Z');

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    evaluators: { type: 'string', default: '8' },
  },
});
const duration = Number(options.duration);
const connections = Number(options.connections);
const evaluators = Number(options.evaluators);

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
    leadId: `lead-${n % 500}`,
    type: 'email_open',
    occurredAt: new Date(BASE_TIME + n * 1_000).toISOString(),
  });
};

async function latency(opts: autocannon.Options) {
  const result = await autocannon({ connections, duration, ...opts });
  return { p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, non2xx: result.non2xx };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'leadflow-bench-evaluate-'));
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  const api = await start(['server/main.ts', '--port', '0', '--db', join(dir, 'bench.db'), '--rules-dir', join(dir, 'rules')], {
    LEADFLOW_ADMIN_KEY: ADMIN_KEY,
  });
  try {
    const keyReply = await fetch(`${api.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', role: 'ingest' }),
    });
    const { key } = (await keyReply.json()) as { key: string };
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
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
    const statuses = new Map<number, number>();
    const evaluator = async () => {
      while (running) {
        const reply = await fetch(`${api.url}/v1/evaluate`, { method: 'POST', headers, body: costlyBody });
        await reply.arrayBuffer();
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      }
    };
    const loops = Array.from({ length: evaluators }, evaluator);
    const loaded = { health: await health(), ingest: await ingest() };
    running = false;
    await Promise.all(loops);

    const row = (name: string, a: { p50: number; p99: number; requests: number; non2xx: number }, b: typeof a) =>
      console.log(
        `${name.padEnd(10)} alone p50 ${a.p50} ms p99 ${a.p99} ms (${a.requests} req) | with previews p50 ${b.p50} ms p99 ${b.p99} ms (${b.requests} req, non-2xx ${b.non2xx}) | p99 ratio ${(b.p99 / Math.max(a.p99, 1)).toFixed(2)}`,
      );
    console.log(`evaluate load benchmark: ${duration}s per measurement, ${connections} connections, ${evaluators} costly preview clients`);
    row('/health', quiet.health, loaded.health);
    row('events', quiet.ingest, loaded.ingest);
    console.log(`previews answered: ${[...statuses].map(([status, n]) => `${n} × ${status}`).join(', ')}`);
    const met = loaded.health.p99 < 100 && loaded.ingest.p99 < 100;
    console.log(`goal: /health and ingestion p99 < 100 ms while previews run: ${met ? 'met' : 'MISSED'}`);
  } finally {
    await stop(api.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
