/**
 * Preloaded into a benchmark's server (`node --import …/server-probe.ts`),
 * with LEADFLOW_BENCH_PROBE_DIR set, to measure one stretch of its life and
 * nothing else (start-up, the population warm-up, closing): the first SIGUSR2
 * starts V8's CPU profiler on the thread that serves requests and starts
 * timing SQLite's own execution of every statement that thread runs (each
 * better-sqlite3 statement's `run`, `all` and `get`, wrapped with a clock);
 * the second stops both and writes `server.cpuprofile` and `statements.json`
 * (nanoseconds and calls by SQL text) into the directory. The server's code
 * is not changed; without the variable nothing is wrapped. On PostgreSQL the
 * statements run in the database's processes: there is nothing to time.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** Nanoseconds and calls by statement, as written to `statements.json`. */
export type StatementTimes = Record<string, { ns: number; calls: number }>;

export const PROFILE_FILE = 'server.cpuprofile';
export const STATEMENTS_FILE = 'statements.json';

const dir = process.env['LEADFLOW_BENCH_PROBE_DIR'];
// The thread serving requests only: worker threads (the checkpointer's connection) load this module too.
if (dir && isMainThread) {
  let times: StatementTimes | null = null;
  // Every statement of every connection shares this prototype (one native class per process).
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'all', 'get']) {
    const original = prototype[method]!;
    prototype[method] = function timed(this: { source: string }, ...args: unknown[]) {
      if (!times) return original.apply(this, args);
      const start = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        const entry = (times[this.source] ??= { ns: 0, calls: 0 });
        entry.ns += Number(process.hrtime.bigint() - start);
        entry.calls++;
      }
    };
  }

  const session = new Session();
  session.connect();
  let profiling = false;
  process.on('SIGUSR2', () => {
    if (!profiling) {
      profiling = true;
      times = {};
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    const measured = times;
    times = null;
    session.post('Profiler.stop', (error, result) => {
      if (error) throw error;
      writeFileSync(join(dir, STATEMENTS_FILE), JSON.stringify(measured));
      // Last, and whole at once (renamed into place): the benchmark waits for this file, then reads both.
      writeFileSync(join(dir, `${PROFILE_FILE}.part`), JSON.stringify(result.profile));
      renameSync(join(dir, `${PROFILE_FILE}.part`), join(dir, PROFILE_FILE));
    });
  });
}
