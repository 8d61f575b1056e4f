/**
 * `npm run bench:storage`: what a stored event costs on disk. The benchmark
 * workload (bench/workload.ts: 200,000 events over 20,000 leads by default)
 * is stored into a new SQLite file twice, as users store history:
 *   (a) `leadflow import` of the workload as a JSON Lines file;
 *   (b) a running server fed through `POST /v1/events/batch`, 500 events per
 *       request in time order, as live traffic arrives (ticks off, so the
 *       stored events are exactly the workload's); measured, then measured
 *       again after a second year of the same leads (the workload a year
 *       later, with new ids), a vacuum between standing for autovacuum.
 *       On PostgreSQL, (b) runs again vacuumed at autovacuum's pace.
 * After each, the WAL is checkpointed and truncated, and the database file's
 * size is divided by the events stored: bytes per event including every
 * index, with the largest tables and indexes (SQLite's dbstat). Goal: at most
 * 400 bytes per event.
 *
 * With --pg URL (a role that may create databases) the same two runs store
 * into new PostgreSQL databases instead, and the size is every table's with
 * its indexes and TOAST (`pg_total_relation_size`), as it stands after the
 * writes: rows a lead's rewrites left dead count until vacuum reuses them.
 *
 * Options: --leads N --events N (default 20000, 200000), --pg URL.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createDatabase, run, storedEvents } from './postgres';
import { ROOT, start, stop } from './processes';
import type { LeadEvent } from '../engine/index';
import { generateWorkload } from './workload';

const GOAL_BYTES_PER_EVENT = 400;
const BATCH = 500;
const ADMIN_KEY = 'bench-admin-key-0123456789';

const { values } = parseArgs({
  options: {
    leads: { type: 'string', default: '20000' },
    events: { type: 'string', default: '200000' },
    pg: { type: 'string' },
  },
});

const count = new Intl.NumberFormat('en-US');

interface Size {
  events: number;
  bytes: number;
  /** Bytes by table or index, largest first. */
  parts: Array<{ name: string; bytes: number }>;
}

/** Checkpoints and truncates the WAL, then measures the file and its tables. */
function measureSqlite(file: string): Size {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const events = (db.prepare('select count(*) as n from events').get() as { n: number }).n;
    const parts = db.prepare('select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc').all() as Size['parts'];
    const wal = existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0;
    return { events, bytes: statSync(file).size + wal, parts };
  } finally {
    db.close();
  }
}

/** Every table of the database with its indexes and TOAST, and each table and index apart. */
async function measurePostgres(url: string): Promise<Size> {
  const total = await run(
    url,
    `select sum(pg_total_relation_size(c.oid)) as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'r'`,
  );
  const parts = await run(
    url,
    `select c.relname as name, pg_relation_size(c.oid) + coalesce(pg_total_relation_size(c.reltoastrelid), 0) as bytes
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'i') order by bytes desc`,
  );
  return {
    events: await storedEvents(url),
    bytes: Number(total.rows[0]!.bytes),
    parts: parts.rows.map((row: { name: string; bytes: string }) => ({ name: row.name, bytes: Number(row.bytes) })),
  };
}

/** A new database for one run: a SQLite file in `dir`, or a PostgreSQL database beside --pg's. */
async function newDatabase(
  dir: string,
  name: string,
): Promise<{ db: string; measure: () => Promise<Size>; vacuum: () => Promise<void>; drop: () => Promise<void> }> {
  if (!values.pg) {
    const file = join(dir, `${name}.db`);
    // SQLite reuses the space a rewritten row frees at once: there is nothing for a vacuum to make reusable.
    return { db: file, measure: async () => measureSqlite(file), vacuum: async () => {}, drop: async () => {} };
  }
  const database = await createDatabase(values.pg, `leadflow_bench_storage_${name}_${process.pid}`);
  return {
    db: database.url,
    measure: () => measurePostgres(database.url),
    vacuum: async () => void (await run(database.url, 'vacuum')),
    drop: database.drop,
  };
}

/**
 * Stores the workload through a server's API, reports the size, then stores
 * the same leads' second year (the workload a year later, new ids) after a
 * vacuum and reports again. With `vacuumEvery`, PostgreSQL is also vacuumed
 * after every so many events, as autovacuum would over a year of traffic.
 */
async function throughApi(name: string, vacuumEvery: number | null): Promise<void> {
  const served = await newDatabase(dir, name);
  const paced = vacuumEvery === null ? '' : `, vacuumed every ${count.format(vacuumEvery)} events`;
  try {
    const api = await start(['server/main.ts', '--port', '0', '--db', served.db, '--tick-every', 'off', '--quiet'], {
      LEADFLOW_ADMIN_KEY: ADMIN_KEY,
    });
    try {
      const keyReply = await fetch(`${api.url}/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bench', role: 'ingest' }),
      });
      const { key } = (await keyReply.json()) as { key: string };
      const send = async (events: readonly LeadEvent[]) => {
        for (let at = 0; at < events.length; at += BATCH) {
          const reply = await fetch(`${api.url}/v1/events/batch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ events: events.slice(at, at + BATCH) }),
          });
          if (!reply.ok) throw new Error(`POST /v1/events/batch: ${reply.status} ${await reply.text()}`);
          if (vacuumEvery !== null && (at + BATCH) % vacuumEvery === 0) await served.vacuum();
        }
      };
      await send(workload.events);
      report(`API, batches of 500 in time order${paced}`, await served.measure());
      await served.vacuum();
      await send(workload.events.map((event) => ({ ...event, id: `y2-${event.id}`, occurredAt: aYearLater(event.occurredAt) })));
    } finally {
      await stop(api.child);
    }
    report(`API, a second year of the same leads after a vacuum${paced}`, await served.measure());
  } finally {
    await served.drop();
  }
}

/** The same instant a year (365 days) later, as the workload writes times. */
function aYearLater(iso: string): string {
  return new Date(Date.parse(iso) + 365 * 86_400_000).toISOString();
}

function report(label: string, size: Size): void {
  const perEvent = size.bytes / size.events;
  console.log(
    `${label}: ${count.format(size.events)} events, ${(size.bytes / 1024 / 1024).toFixed(1)} MiB, ` +
      `${Math.round(perEvent)} bytes per event (goal ≤ ${GOAL_BYTES_PER_EVENT}: ${perEvent <= GOAL_BYTES_PER_EVENT ? 'met' : 'MISSED'})`,
  );
  for (const part of size.parts.slice(0, 8)) {
    console.log(`  ${part.name.padEnd(34)} ${(part.bytes / size.events).toFixed(1).padStart(7)} B/event`);
  }
}

const workload = generateWorkload({ leads: Number(values.leads), events: Number(values.events) });
const dir = mkdtempSync(join(tmpdir(), 'leadflow-bench-storage-'));
try {
  console.log(
    `leadflow storage benchmark: ${count.format(workload.events.length)} events over ${count.format(Number(values.leads))} leads, ` +
      `${values.pg ? 'PostgreSQL' : 'SQLite'}, load average ${loadavg()[0]!.toFixed(2)}`,
  );
  const file = join(dir, 'workload.jsonl');
  writeFileSync(file, workload.events.map((event) => JSON.stringify(event)).join('\n') + '\n');

  const imported = await newDatabase(dir, 'import');
  try {
    const run = spawnSync(process.execPath, [join(ROOT, 'bin/leadflow.js'), 'import', '--db', imported.db, '--json', file], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`leadflow import failed (exit ${run.status}): ${run.stderr}`);
    report('import', await imported.measure());
  } finally {
    await imported.drop();
  }

  await throughApi('api', null);
  // On PostgreSQL, a year of traffic arriving in seconds leaves every rewritten lead's old row versions dead until a
  // vacuum makes their space reusable, which autovacuum does once dead rows pass 50 + 20% of a table's rows (its
  // defaults): for 20,000 leads, about every 4,000 lead writes. Over a real year it keeps that pace; here a vacuum
  // every as many events stands for it (each event writes at most one lead), rounded to whole requests.
  const autovacuumPace = Math.max(1, Math.round((50 + 0.2 * Number(values.leads)) / BATCH)) * BATCH;
  if (values.pg) await throughApi('api_paced', autovacuumPace);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
