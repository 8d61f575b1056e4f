/**
 * The benchmark history (bench/workload.ts) imported once into a SQLite file
 * through the import path and cached under bench/.cache/, keyed by the
 * workload and rules/v1.json: importing a million events takes minutes, and
 * the benchmarks time only what reads it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeHistory } from '../server/history-import';
import { openHistory } from '../server/index';
import { DEFAULT_WORKLOAD, generateWorkload } from './workload';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'bench/.cache');

const count = new Intl.NumberFormat('en-US');

/** The text of rules/v1.json, the version the history is imported under. */
export const v1Text = readFileSync(join(ROOT, 'rules/v1.json'), 'utf8');

/** The cached database of the workload of `leads` and `events`; built when missing or when `rebuild`. */
export async function historyDatabase(leads: number, events: number, rebuild = false): Promise<string> {
  const key = createHash('sha256').update(`${leads}:${events}:${DEFAULT_WORKLOAD.seed}:`).update(v1Text).digest('hex').slice(0, 12);
  const file = join(CACHE, `replay-${leads}-${events}-${key}.db`);
  if (existsSync(file) && !rebuild) return file;
  mkdirSync(CACHE, { recursive: true });
  const workDir = mkdtempSync(join(CACHE, 'build-'));
  try {
    const started = performance.now();
    const workload = generateWorkload({ leads, events });
    const rulesDir = join(workDir, 'rules');
    mkdirSync(rulesDir);
    writeFileSync(join(rulesDir, 'v1.json'), v1Text);
    const history = await openHistory({ db: join(workDir, 'history.db'), rulesDir });
    try {
      let shown = 0;
      const summary = await storeHistory(history, workload.events, {
        recordedBy: 'bench',
        onProgress: (done, total) => {
          if (done - shown < total / 10 && done < total) return;
          shown = done;
          process.stderr.write(`  importing: ${count.format(done)} of ${count.format(total)} leads\n`);
        },
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      console.log(
        `Built ${file}: ${count.format(summary.eventsStored)} events, ${count.format(summary.leads.created)} leads in ${seconds} s`,
      );
    } finally {
      await history.close();
    }
    renameSync(join(workDir, 'history.db'), file);
    return file;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
