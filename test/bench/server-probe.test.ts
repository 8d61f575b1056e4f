/**
 * bench/server-probe.ts, preloaded into a process, measures exactly the
 * stretch between two SIGUSR2: statements run before or after it are not
 * timed, and the CPU profile is written when it ends.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROBE = pathToFileURL(join(ROOT, 'bench/server-probe.ts')).href;

// Runs statements before, inside and after the window the two signals open and close, then waits for the profile.
const CHILD = `
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
const db = new Database(':memory:');
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const run = (label, times) => { const s = db.prepare("select '" + label + "' as label"); for (let i = 0; i < times; i++) s.get(); };
run('before', 3);
process.kill(process.pid, 'SIGUSR2');
await settle();
run('inside', 5);
db.prepare("select '" + 'all' + "' as label").all();
process.kill(process.pid, 'SIGUSR2');
while (!existsSync(join(process.env.LEADFLOW_BENCH_PROBE_DIR, 'server.cpuprofile'))) await settle();
run('after', 2);
`;

describe('the server probe', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('times only the statements run between the two signals, and writes the profile of that stretch', () => {
    dir = mkdtempSync(join(tmpdir(), 'leadflow-probe-'));
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', PROBE, '--input-type=module', '-e', CHILD], {
      cwd: ROOT,
      env: { ...process.env, LEADFLOW_BENCH_PROBE_DIR: dir },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);

    const times = JSON.parse(readFileSync(join(dir, 'statements.json'), 'utf8')) as Record<string, { ns: number; calls: number }>;
    expect(Object.keys(times).sort()).toEqual(["select 'all' as label", "select 'inside' as label"]);
    expect(times["select 'inside' as label"]!.calls).toBe(5);
    expect(times["select 'all' as label"]!.calls).toBe(1);
    expect(times["select 'inside' as label"]!.ns).toBeGreaterThan(0);

    const profile = JSON.parse(readFileSync(join(dir, 'server.cpuprofile'), 'utf8')) as { nodes: unknown[]; samples: number[] };
    expect(profile.nodes.length).toBeGreaterThan(0);
    expect(Array.isArray(profile.samples)).toBe(true);
  });

  it('changes nothing without its variable', () => {
    dir = mkdtempSync(join(tmpdir(), 'leadflow-probe-'));
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', PROBE, '--input-type=module', '-e', "process.kill(process.pid, 'SIGUSR2')"],
      { cwd: ROOT, env: { ...process.env, LEADFLOW_BENCH_PROBE_DIR: '' }, encoding: 'utf8', timeout: 20_000 },
    );
    // No handler was installed: SIGUSR2's default action ends the process.
    expect(child.signal).toBe('SIGUSR2');
  });
});
