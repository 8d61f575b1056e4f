/**
 * `npm run bench:scale`: ingestion on 1, 2 and 3 server processes sharing one
 * PostgreSQL database, as behind a load balancer. For each count, a new
 * database; the servers start together; then single events, and batches of
 * 100, go to every server at once (one autocannon per server, the
 * connections split evenly) for leads that every server receives. Each row
 * gives events stored per second, the p99 latency of the slowest server, each
 * server's CPU time per event it stored (from /proc, every thread), and the
 * CPU the PostgreSQL processes spent per event. On a machine with fewer
 * cores than servers + database + load generator, the rate measures how the
 * added locking and contention cost, not how far more machines would go; the
 * CPU per event is the steadier figure.
 *
 * Options: --pg URL (a role that may create databases; default
 * LEADFLOW_BENCH_PG_URL, else LEADFLOW_TEST_PG_URL) --servers 1,2,3
 * --duration S (per measurement, default 10) --connections N (in all, default
 * 48) --leads N (default 5000).
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createDatabase, storedEvents } from './postgres';
import { ROOT, cpuSeconds, start, stop } from './processes';

const ADMIN_KEY = 'bench-admin-key-0123456789';
const WARMUP_SECONDS = 2;
const BATCH_SIZE = 100;
const BASE_TIME = Date.parse('2026-01-01T00:00:00Z');

const { values: options } = parseArgs({
  options: {
    pg: { type: 'string', default: process.env['LEADFLOW_BENCH_PG_URL'] ?? process.env['LEADFLOW_TEST_PG_URL'] },
    servers: { type: 'string', default: '1,2,3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '48' },
    leads: { type: 'string', default: '5000' },
  },
});

let sequence = 0;
/** A fresh event each call: unique id, lead among `leads`, time moving forward. */
function nextEvent(leads: number) {
  const n = sequence++;
  return {
    id: `scale-${n}`,
    leadId: `lead-${n % leads}`,
    type: n % 5 === 0 ? 'email_click' : 'email_open',
    occurredAt: new Date(BASE_TIME + n * 1_000).toISOString(),
    properties: { campaign: 'bench' },
  };
}

/** Pids of the running PostgreSQL processes (server, backends, background workers) on this machine. */
function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

/** CPU seconds used so far by each of these pids (by pid: backends come and go). */
function cpuByPid(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const seconds = cpuSeconds(pid);
    if (seconds !== undefined) out.set(pid, seconds);
  }
  return out;
}

interface Run {
  events: number;
  seconds: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU µs per event each server stored, by server. */
  serverCpu: number[];
  /** PostgreSQL's CPU µs per stored event (all its processes). */
  databaseCpu: number | undefined;
}

interface Server {
  child: ChildProcess;
  url: string;
}

/** One autocannon per server at once; events counted from the replies. */
async function drive(
  servers: Server[],
  path: string,
  body: () => string,
  eventsPerRequest: number,
  connections: number,
  duration: number,
  key: string,
): Promise<Run> {
  const before = servers.map((s) => cpuSeconds(s.child.pid));
  const databaseBefore = cpuByPid(postgresPids());
  const results = await Promise.all(
    servers.map((server) =>
      autocannon({
        url: `${server.url}${path}`,
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        connections: Math.max(1, Math.round(connections / servers.length)),
        duration,
        timeout: 30,
        requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
      }),
    ),
  );
  const after = servers.map((s) => cpuSeconds(s.child.pid));
  const databaseAfter = cpuByPid(postgresPids());
  let databaseSeconds = 0;
  for (const [pid, seconds] of databaseAfter) databaseSeconds += seconds - (databaseBefore.get(pid) ?? 0);
  const storedBy = results.map((r) => r['2xx'] * eventsPerRequest);
  const events = storedBy.reduce((a, b) => a + b, 0);
  return {
    events,
    seconds: Math.max(...results.map((r) => r.duration)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((a, r) => a + r.non2xx, 0),
    errors: results.reduce((a, r) => a + r.errors + r.timeouts, 0),
    serverCpu: servers.map((_, i) =>
      before[i] === undefined || after[i] === undefined || storedBy[i] === 0 ? NaN : ((after[i]! - before[i]!) * 1e6) / storedBy[i]!,
    ),
    databaseCpu: events === 0 ? undefined : (databaseSeconds * 1e6) / events,
  };
}

function report(name: string, count: number, run: Run): void {
  const perServer = run.serverCpu.map((cpu) => (Number.isNaN(cpu) ? 'n/a' : cpu.toFixed(0))).join(' / ');
  console.log(
    `${String(count).padStart(2)} server${count === 1 ? ' ' : 's'}  ${name.padEnd(14)} ${(run.events / run.seconds).toFixed(0).padStart(7)} events/s   p99 ${String(run.p99).padStart(4)} ms   cpu per event: servers ${perServer} µs, database ${run.databaseCpu?.toFixed(0) ?? 'n/a'} µs   non-2xx ${run.non2xx}, errors ${run.errors}`,
  );
}

async function measureServers(
  count: number,
  baseUrl: string,
  rulesDir: string,
  duration: number,
  connections: number,
  leads: number,
): Promise<void> {
  const database = await createDatabase(baseUrl, `leadflow_bench_scale_${process.pid}_${count}`);
  const url = database.url;
  const servers: Server[] = [];
  try {
    // The first creates the schema; the others start together on it. The scheduler off, as in bench/server.ts: the
    // events are dated in 2026, so every lead they store is due for a tick at once, which is not the load measured here.
    const args = ['server/main.ts', '--port', '0', '--host', '127.0.0.1', '--db', url, '--rules-dir', rulesDir, '--tick-every', 'off'];
    servers.push(await start(args, { LEADFLOW_ADMIN_KEY: ADMIN_KEY }));
    servers.push(...(await Promise.all(Array.from({ length: count - 1 }, () => start(args, { LEADFLOW_ADMIN_KEY: ADMIN_KEY })))));
    for (const server of servers) server.url = server.url.replace('localhost', '127.0.0.1');
    const created = await fetch(`${servers[0]!.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', role: 'ingest' }),
    });
    const { key } = (await created.json()) as { key: string };
    const single = () => JSON.stringify(nextEvent(leads));
    const batch = () => JSON.stringify({ events: Array.from({ length: BATCH_SIZE }, () => nextEvent(leads)) });

    const warmup = await drive(servers, '/v1/events', single, 1, connections, WARMUP_SECONDS, key);
    const singles = await drive(servers, '/v1/events', single, 1, connections, duration, key);
    report('single events', count, singles);
    const batchConnections = Math.max(count, Math.round(connections / 8));
    const batches = await drive(servers, '/v1/events/batch', batch, BATCH_SIZE, batchConnections, duration, key);
    report(`batches of ${BATCH_SIZE}`, count, batches);
    // Every acknowledged event is stored (a reply may be lost when a run ends, so more may be).
    const acknowledged = warmup.events + singles.events + batches.events;
    const stored = await storedEvents(url);
    if (stored < acknowledged) throw new Error(`${acknowledged} events acknowledged but ${stored} stored`);
  } finally {
    await Promise.all(servers.map((server) => stop(server.child)));
    await database.drop();
  }
}

async function main(): Promise<void> {
  if (!options.pg) throw new Error('bench:scale needs a PostgreSQL URL: --pg postgres://… or LEADFLOW_BENCH_PG_URL');
  const counts = options.servers.split(',').map(Number);
  const duration = Number(options.duration);
  const connections = Number(options.connections);
  const leads = Number(options.leads);
  const dir = mkdtempSync(join(tmpdir(), 'leadflow-bench-scale-'));
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  try {
    console.log(
      `leadflow scale-out benchmark: ${counts.join(', ')} servers on one PostgreSQL database; ${duration}s per measurement, ${connections} connections in all (batches: ${Math.round(connections / 8)}), ${leads} leads, ${cpus().length} CPUs`,
    );
    const loadBefore = loadavg()[0]!;
    for (const count of counts) await measureServers(count, options.pg, join(dir, 'rules'), duration, connections, leads);
    console.log(`load average (1 min): ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
