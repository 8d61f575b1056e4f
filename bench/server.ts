/**
 * `npm run bench:server`: the API's throughput on this machine, in one run,
 * with autocannon — (1) a Hono route that only parses and echoes the same
 * JSON body (the ceiling), (2) single-event ingestion with storage, (3) batch
 * ingestion, 1,000 events per request — reported with ratios to the ceiling.
 * Each server runs in its own process; SQLite file in a temporary directory.
 * Beside requests per second, each row gives the server process's CPU time
 * per request (from /proc, all its threads): on a busy machine wall-clock
 * rates swing from run to run, and the ratio by CPU is the steadier one.
 *
 * Then the single-event load and the batch load run again, each on a server
 * of its own with bench/server-probe.ts preloaded, which profiles the thread
 * serving requests (V8's CPU profiler) and times SQLite's statements while
 * the load runs and only then: the cost of a stored event by phase for each
 * (µs of main-thread CPU per event: HTTP and parsing, validation, key check,
 * engine, serialisation, SQL and commit, reply…; see bench/profile.ts), and
 * the time spent inside SQLite by statement (lead upsert, event insert,
 * commit…; SQLite only). Servers run with the scheduler off.
 *
 * Options: --duration S (per measurement, default 10) --connections N
 * (default 50) --batch-connections N (default 4) --leads N (default 5000)
 * --pg URL (store in PostgreSQL instead of a SQLite file: a URL whose role may
 * create databases; the benchmark creates a database of its own there and
 * drops it afterwards).
 * Internal: --echo-server starts only the echo server (used as a child).
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createDatabase, storedEvents } from './postgres';
import { PHASES, phaseTimes } from './profile';
import { ROOT, cpuSeconds, start, stop } from './processes';
import { PROFILE_FILE, STATEMENTS_FILE, type StatementTimes } from './server-probe';

const ADMIN_KEY = 'bench-admin-key-0123456789';
const BATCH_SIZE = 1_000;
const WARMUP_SECONDS = 2;
const BASE_TIME = Date.parse('2026-01-01T00:00:00Z');

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'batch-connections': { type: 'string', default: '4' },
    leads: { type: 'string', default: '5000' },
    pg: { type: 'string' },
    'echo-server': { type: 'boolean', default: false },
  },
});

interface Measured {
  requestsPerSecond: number;
  p99: number;
  p50: number;
  non2xx: number;
  errors: number;
  requests: number;
  seconds: number;
  /** The server's CPU time per request, in microseconds. */
  cpuPerRequest: number | undefined;
}

/** Runs autocannon against the server process `server`, timing the CPU it spends meanwhile. */
async function measure(opts: autocannon.Options, server: ChildProcess): Promise<Measured> {
  const cpuBefore = cpuSeconds(server.pid);
  const result = await autocannon(opts);
  const cpuAfter = cpuSeconds(server.pid);
  const requests = result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    p99: result.latency.p99,
    p50: result.latency.p50,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    requests,
    seconds: result.duration,
    cpuPerRequest: cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / requests,
  };
}

let sequence = 0;
/** A fresh event each call: unique id, lead among `leads`, time moving forward (no late events). */
function nextEvent(leads: number) {
  const n = sequence++;
  return {
    id: `bench-${n}`,
    leadId: `lead-${n % leads}`,
    type: n % 5 === 0 ? 'email_click' : 'email_open',
    occurredAt: new Date(BASE_TIME + n * 1_000).toISOString(),
    properties: { campaign: 'bench' },
  };
}

async function main(): Promise<void> {
  const duration = Number(options.duration);
  const connections = Number(options.connections);
  const batchConnections = Number(options['batch-connections']);
  const leads = Number(options.leads);
  const dir = mkdtempSync(join(tmpdir(), 'leadflow-bench-'));
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  const database = options.pg ? await createDatabase(options.pg, `leadflow_bench_${process.pid}_${Date.now()}`) : null;
  const db = database?.url ?? join(dir, 'bench.db');
  // The scheduler off: the benchmark's events are dated in 2026, so every lead would be due for time-driven changes
  // (decay, dormancy) at once, and a server started on the stored leads would tick them all while the load runs, its
  // ticks counted as stored events. Ticks are their own load, not the ingestion measured here.
  const serverArgs = ['--port', '0', '--db', db, '--rules-dir', join(dir, 'rules'), '--tick-every', 'off'];
  const sample = JSON.stringify(nextEvent(leads));
  sequence = 0;

  try {
    console.log(
      `leadflow server benchmark: ${duration}s per measurement, ${connections} connections (batch: ${batchConnections}), ${leads} leads, ${database ? 'PostgreSQL' : 'SQLite'}`,
    );
    const echo = await start(['bench/server.ts', '--echo-server']);
    const echoOpts = {
      url: `${echo.url}/echo`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body: sample,
      connections,
    };
    const loadBefore = loadavg()[0]!;
    await measure({ ...echoOpts, duration: WARMUP_SECONDS }, echo.child);
    const ceiling = await measure({ ...echoOpts, duration }, echo.child);
    await stop(echo.child);

    const api = await start(['server/main.ts', ...serverArgs], {
      LEADFLOW_ADMIN_KEY: ADMIN_KEY,
    });
    const keyReply = await fetch(`${api.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', role: 'ingest' }),
    });
    const { key } = (await keyReply.json()) as { key: string };
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const single = (seconds: number) =>
      measure(
        {
          url: `${api.url}/v1/events`,
          method: 'POST',
          headers,
          connections,
          duration: seconds,
          requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(nextEvent(leads)) }) }],
        },
        api.child,
      );
    await single(WARMUP_SECONDS);
    const ingestOne = await single(duration);

    const batchBody = () => JSON.stringify({ events: Array.from({ length: BATCH_SIZE }, () => nextEvent(leads)) });
    const batch = (seconds: number) =>
      measure(
        {
          url: `${api.url}/v1/events/batch`,
          method: 'POST',
          headers,
          connections: batchConnections,
          duration: seconds,
          timeout: 30,
          requests: [{ setupRequest: (req) => ({ ...req, body: batchBody() }) }],
        },
        api.child,
      );
    const beforeBatch = await countEvents(db);
    const ingestBatch = await batch(duration);
    await stop(api.child);
    const storedInBatch = (await countEvents(db)) - beforeBatch;

    // The same loads again, each on a server of its own, under the CPU profiler and with SQLite's statements timed
    // while the load runs: where a stored event's time goes.
    const profiledLoad = async (name: string, load: (url: string) => autocannon.Options) => {
      const probeDir = join(dir, `probe-${name}`);
      mkdirSync(probeDir);
      const server = await start(['--import', SERVER_PROBE, 'server/main.ts', ...serverArgs], {
        LEADFLOW_ADMIN_KEY: ADMIN_KEY,
        LEADFLOW_BENCH_PROBE_DIR: probeDir,
      });
      // Its background warm-up reads a sample of the stored leads and their events: start-up work, not ingestion.
      await server.warm;
      const before = await countEvents(db);
      server.child.kill('SIGUSR2');
      const measured = await measure(load(server.url), server.child);
      server.child.kill('SIGUSR2');
      await waitForFile(join(probeDir, PROFILE_FILE));
      await stop(server.child);
      return {
        stored: (await countEvents(db)) - before,
        measured,
        breakdown: phaseTimes(JSON.parse(readFileSync(join(probeDir, PROFILE_FILE), 'utf8'))),
        statements: database ? null : statementsByName(JSON.parse(readFileSync(join(probeDir, STATEMENTS_FILE), 'utf8')) as StatementTimes),
      };
    };
    const profiles = [
      await profiledLoad('single', (url) => ({
        url: `${url}/v1/events`,
        method: 'POST',
        headers,
        connections,
        duration,
        requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(nextEvent(leads)) }) }],
      })),
      await profiledLoad('batch', (url) => ({
        url: `${url}/v1/events/batch`,
        method: 'POST',
        headers,
        connections: batchConnections,
        duration,
        timeout: 30,
        requests: [{ setupRequest: (req) => ({ ...req, body: batchBody() }) }],
      })),
    ];

    const loadAfter = loadavg()[0]!;

    const cpu = (m: Measured) => (m.cpuPerRequest === undefined ? '   n/a' : m.cpuPerRequest.toFixed(0).padStart(6));
    const row = (name: string, m: Measured, extra = '') =>
      console.log(
        `${name.padEnd(26)} ${m.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${String(m.p50).padStart(4)} ms   p99 ${String(m.p99).padStart(4)} ms   cpu ${cpu(m)} µs/req   non-2xx ${m.non2xx}, errors ${m.errors}${extra}`,
      );
    const byCpu = (a: Measured, b: Measured) =>
      a.cpuPerRequest === undefined || b.cpuPerRequest === undefined ? 'n/a' : `${((b.cpuPerRequest / a.cpuPerRequest) * 100).toFixed(1)}%`;
    console.log('');
    row('echo (ceiling)', ceiling);
    row(
      'single event, stored',
      ingestOne,
      `   → ${((ingestOne.requestsPerSecond / ceiling.requestsPerSecond) * 100).toFixed(1)}% of echo (by cpu ${byCpu(ingestOne, ceiling)})`,
    );
    const eventsPerSecond = storedInBatch / ingestBatch.seconds;
    const eventsPerCpuSecond =
      ingestBatch.cpuPerRequest === undefined
        ? 'n/a'
        : ((storedInBatch / (ingestBatch.cpuPerRequest * ingestBatch.requests)) * 1e6).toFixed(0);
    row(
      `batch of ${BATCH_SIZE}, stored`,
      ingestBatch,
      `   → ${eventsPerSecond.toFixed(0)} events/s stored (${storedInBatch} rows in ${ingestBatch.seconds.toFixed(1)} s; ${eventsPerCpuSecond} per server CPU-second)`,
    );
    console.log('');
    console.log(
      `cost of a stored event by phase (the thread serving requests, under the CPU profiler; single: ${profiles[0]!.stored} events, batch of ${BATCH_SIZE}: ${profiles[1]!.stored} events):`,
    );
    console.log(`  ${''.padEnd(40)} ${'single event'.padStart(18)} ${`batch of ${BATCH_SIZE}`.padStart(18)}`);
    console.log(
      `  ${'(stored per second under the profiler)'.padEnd(40)} ${profiles.map((p) => `${(p.stored / p.measured.seconds).toFixed(0).padStart(10)} ev/s      `).join('  ')}`,
    );
    const totals = profiles.map(({ breakdown }) => [...breakdown.phases.values()].reduce((a, b) => a + b, 0) + breakdown.program);
    const cells = (ms: (p: (typeof profiles)[number]) => number) =>
      profiles
        .map((p, i) => `${((ms(p) * 1000) / p.stored).toFixed(1).padStart(7)} µs ${((ms(p) / totals[i]!) * 100).toFixed(1).padStart(5)}%`)
        .join('  ');
    for (const phase of PHASES) console.log(`  ${phase.padEnd(40)} ${cells((p) => p.breakdown.phases.get(phase)!)}`);
    console.log(`  ${'outside JavaScript (native, unattributed)'.padEnd(40)} ${cells((p) => p.breakdown.program)}`);
    console.log(
      `  ${'total'.padEnd(40)} ${profiles.map((p, i) => `${((totals[i]! * 1000) / p.stored).toFixed(1).padStart(7)} µs       `).join('  ')}`,
    );
    if (profiles.every((p) => p.statements)) {
      console.log('');
      console.log('time inside SQLite per stored event (the same runs; each statement timed by bench/server-probe.ts):');
      for (const name of [...STATEMENT_NAMES.map(([, n]) => n), OTHER_STATEMENTS]) {
        const cell = (p: (typeof profiles)[number]) => ((p.statements!.get(name) ?? 0) / 1000 / p.stored).toFixed(1).padStart(7);
        console.log(`  ${name.padEnd(40)} ${profiles.map((p) => `${cell(p)} µs       `).join('  ')}`);
      }
      const all = (p: (typeof profiles)[number]) => [...p.statements!.values()].reduce((a, b) => a + b, 0) / 1000 / p.stored;
      console.log(`  ${'all statements'.padEnd(40)} ${profiles.map((p) => `${all(p).toFixed(1).padStart(7)} µs       `).join('  ')}`);
    }
    console.log('');
    console.log(`load average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`);
    console.log(
      `goals: single ≥ 50% of echo with p99 < 25 ms: ${ingestOne.requestsPerSecond / ceiling.requestsPerSecond >= 0.5 && ingestOne.p99 < 25 ? 'met' : 'MISSED'}; batch ≥ 100,000 events/s: ${eventsPerSecond >= 100_000 ? 'met' : 'MISSED'}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  }
}

/** The statements ingestion runs, by the start of their SQL (Kysely's, lower case); the rest are counted together. */
const STATEMENT_NAMES: Array<[RegExp, string]> = [
  [/^insert into "leads"/, 'lead upsert'],
  [/^insert into "events"/, 'event insert'],
  [/^commit$/, 'commit'],
  [/^select "id", "revision"/, 'lead rows read (revisions)'],
  [/^select [^]* from "leads" where "id" in/, 'lead rows read (states)'],
  [/^select "id" from "events" where "id" in/, 'duplicate check'],
];
const OTHER_STATEMENTS = 'other statements';
const SERVER_PROBE = pathToFileURL(join(ROOT, 'bench/server-probe.ts')).href;

/** Waits for a file another process writes, for up to 30 s. */
async function waitForFile(file: string): Promise<void> {
  for (let waited = 0; !existsSync(file); waited += 50) {
    if (waited > 30_000) throw new Error(`${file} was not written`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Nanoseconds by statement name, summed over the SQL texts each name covers. */
function statementsByName(times: StatementTimes): Map<string, number> {
  const byName = new Map<string, number>();
  for (const [sql, { ns }] of Object.entries(times)) {
    const name = STATEMENT_NAMES.find(([pattern]) => pattern.test(sql))?.[1] ?? OTHER_STATEMENTS;
    byName.set(name, (byName.get(name) ?? 0) + ns);
  }
  return byName;
}

/** Stored events in the benchmark's database (a SQLite file or a PostgreSQL URL). */
async function countEvents(db: string): Promise<number> {
  if (/^postgres(ql)?:\/\//.test(db)) return storedEvents(db);
  const database = new Database(db, { readonly: true });
  try {
    return (database.prepare('select count(*) as n from events').get() as { n: number }).n;
  } finally {
    database.close();
  }
}

if (options['echo-server']) {
  const app = new Hono();
  app.post('/echo', async (c) => c.json(await c.req.json()));
  const server = serve({ fetch: app.fetch, port: 0 }, (info) =>
    process.stdout.write(`${JSON.stringify({ url: `http://localhost:${info.port}` })}\n`),
  );
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  await main();
}
