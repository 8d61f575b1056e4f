/**
 * Server processes for the benchmarks: started as children that print one
 * JSON line with their URL (server/main.ts), stopped with SIGTERM, and the CPU
 * time they use, read from /proc so that it counts every thread.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A started process: its URL, and (server/main.ts only) when its background warm-up has settled. */
export interface Started {
  child: ChildProcess;
  url: string;
  /** Resolves when the server prints its `populationWarm` line, rejects if it exits first; pending for a process that prints none. */
  warm: Promise<void>;
}

/** Spawns a process (tsx) and waits for the JSON line with its URL. */
export function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let warmed = () => {};
  let died = (_: Error) => {};
  const warm = new Promise<void>((resolve, reject) => {
    warmed = resolve;
    died = reject;
  });
  // Rejected when the process exits first; handled here, so a process nobody waits on can exit without an unhandled rejection.
  warm.catch(() => {});
  child.once('exit', (code) => died(new Error(`process exited with ${code} before its warm-up settled`)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n').filter((l) => l.startsWith('{'));
      const url = lines.map((l) => (JSON.parse(l) as { url?: string }).url).find((u) => u !== undefined);
      if (url !== undefined) resolve({ child, url, warm });
      if (lines.some((l) => 'populationWarm' in (JSON.parse(l) as object))) warmed();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, every thread) a process has used so far, in seconds; undefined where /proc is missing. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
