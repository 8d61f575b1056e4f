/** Running the real `leadflow` bin in a child process, and temporary directories for its files. */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `leadflow …` from the repository root; resolves with exit code and output (stdout is not a terminal: no progress bar). */
export async function leadflow(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec('node', [join(ROOT, 'bin/leadflow.js'), ...args], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'leadflow-cli-'));
}
