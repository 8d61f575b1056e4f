/**
 * `npm run bench:import`: `leadflow import` of a large JSON Lines file, in a
 * child process, as a user runs it. Reports events stored per second, the
 * child's peak resident memory, and the database's size after the import
 * (the database file and its WAL, SQLite) with bytes per event.
 *
 * The file is generated once per size into bench/.cache/ (never committed):
 * segments of bench/workload.ts (20,000 leads and 200,000 events each, every
 * segment its own seed and lead ids), one after another until the size is
 * reached. Each segment is time-ordered across its leads, so a lead's events
 * are spread through its segment, as in an export of an event log. Activities
 * carry the context a web-analytics export gives them (page, referrer, user
 * agent, campaign, page title, client hints), about 700 bytes an event in all.
 *
 * Options: --size 100MB|2GB|… (default 100MB), --db <postgres://…> (default:
 * a new SQLite file in the system's temporary directory, removed afterwards),
 * --rebuild (generate the file again).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { V1_ACTIVITY_MIX, generateWorkload } from './workload';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'bench/.cache');
const SEGMENT = { leads: 20_000, events: 200_000 };
const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 };
/** The memory goal of an import, whatever the file size. */
const GOAL_RSS_BYTES = 300 * 1024 * 1024;

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '100MB' },
    db: { type: 'string' },
    rebuild: { type: 'boolean', default: false },
  },
});

const count = new Intl.NumberFormat('en-US');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text.trim());
  if (!match) throw new Error(`--size must be like 100MB or 2GB, not "${text}"`);
  return Math.round(Number(match[1]) * UNITS[(match[2] ?? 'B').toUpperCase()]!);
}

const PAGES = ['/pricing', '/product/routing', '/blog/lead-scoring-101', '/docs/getting-started', '/customers/acme', '/webinars/q3'];
const REFERRERS = ['https://www.google.com/', 'https://www.linkedin.com/feed/', 'https://news.ycombinator.com/', 'direct'];
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
];

/** What an analytics export adds to the n-th activity (deterministic: chosen by n). */
function webContext(n: number): Record<string, string> {
  return {
    page: `https://www.example.com${PAGES[n % PAGES.length]}?session=${(n * 2_654_435_761) % 4_294_967_296}`,
    referrer: REFERRERS[n % REFERRERS.length]!,
    userAgent: AGENTS[n % AGENTS.length]!,
    campaign: `utm_source=newsletter&utm_medium=email&utm_campaign=2026-w${(n % 52) + 1}`,
    pageTitle: `${PAGES[n % PAGES.length]!.slice(1).replaceAll('/', ' › ')} | Example — lead routing and scoring for B2B teams`,
    clientHints: `sec-ch-ua="Chromium";v="126", "Not.A/Brand";v="24"; sec-ch-ua-platform="${n % 2 ? 'macOS' : 'Windows'}"; viewport=${1280 + (n % 5) * 160}x${720 + (n % 4) * 90}; lang=${n % 3 ? 'en-US' : 'de-DE'}; tz=Europe/Berlin`,
  };
}

/** Writes segments of the workload as JSON Lines until the file reaches `bytes`; returns the events written. */
async function generate(file: string, bytes: number): Promise<number> {
  mkdirSync(CACHE, { recursive: true });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  let written = 0;
  let events = 0;
  for (let segment = 1; written < bytes; segment++) {
    const prefix = `s${segment}-`;
    const workload = generateWorkload({ ...SEGMENT, seed: 20_261_124 + segment });
    for (const event of workload.events) {
      if (written >= bytes) break;
      const properties = event.type in V1_ACTIVITY_MIX ? { ...event.properties, ...webContext(events) } : event.properties;
      const line = `${JSON.stringify({ ...event, id: prefix + event.id, leadId: prefix + event.leadId, properties })}\n`;
      written += Buffer.byteLength(line);
      events++;
      if (!out.write(line)) await once(out, 'drain');
    }
    process.stderr.write(`generating ${file}: ${mb(written)} of ${mb(bytes)}\r`);
  }
  out.end();
  await once(out, 'finish');
  renameSync(partial, file);
  process.stderr.write('\n');
  return events;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  peakRssBytes: number;
}

/** Runs `leadflow import` under /usr/bin/time -v (peak RSS), or polling /proc for VmHWM when it is absent. */
async function runImport(file: string, db: string): Promise<Run> {
  const args = [join(ROOT, 'bin/leadflow.js'), 'import', '--db', db, '--json', file];
  const timed = existsSync('/usr/bin/time');
  const child = timed ? spawn('/usr/bin/time', ['-v', 'node', ...args], { cwd: ROOT }) : spawn('node', args, { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
    process.stderr.write(data);
  });
  let polledPeak = 0;
  const poll = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) polledPeak = Math.max(polledPeak, Number(hwm[1]) * 1024);
    } catch {
      // the process has ended
    }
  }, 100);
  const started = performance.now();
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(poll);
  const seconds = (performance.now() - started) / 1000;
  const reported = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return { code, stdout, stderr, seconds, peakRssBytes: reported ? Number(reported[1]) * 1024 : polledPeak };
}

const size = parseSize(values.size);
const file = join(CACHE, `import-web-${values.size.toUpperCase()}.jsonl`);
if (values.rebuild || !existsSync(file)) await generate(file, size);
const fileBytes = statSync(file).size;

const temp = values.db ? undefined : mkdtempSync(join(os.tmpdir(), 'leadflow-bench-import-'));
const db = values.db ?? join(temp!, 'import.db');
try {
  console.log(`leadflow import of ${file} (${mb(fileBytes)}) into ${values.db ? 'PostgreSQL' : 'a new SQLite file'}`);
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}`);
  const run = await runImport(file, db);
  if (run.code !== 0) throw new Error(`leadflow import failed (exit ${run.code})`);
  const summary = JSON.parse(run.stdout) as { eventsStored: number; leads: { created: number }; rejected: unknown[] };
  const rate = summary.eventsStored / run.seconds;
  console.log(`  events stored        ${count.format(summary.eventsStored)} (${count.format(summary.leads.created)} leads)`);
  console.log(`  time                 ${run.seconds.toFixed(1)} s`);
  console.log(`  throughput           ${count.format(Math.round(rate))} events/s`);
  console.log(
    `  peak RSS             ${mb(run.peakRssBytes)} (goal < ${mb(GOAL_RSS_BYTES)}: ${run.peakRssBytes < GOAL_RSS_BYTES ? 'met' : 'MISSED'})`,
  );
  if (!values.db) {
    const dbBytes = statSync(db).size;
    const walBytes = existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0;
    console.log(`  database + WAL       ${mb(dbBytes)} + ${mb(walBytes)}`);
    console.log(
      `  bytes per event      ${Math.round((dbBytes + walBytes) / summary.eventsStored)} (file: ${Math.round(fileBytes / summary.eventsStored)})`,
    );
  }
  console.log(`load average after ${os.loadavg()[0]!.toFixed(2)}`);
} finally {
  if (temp) rmSync(temp, { recursive: true, force: true });
}
