/**
 * The benchmarks' server processes: `start` resolves with the server's URL,
 * and its `warm` promise settles when server/main.ts reports that its
 * population warm-up is over, or fails when the process exits first.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, start, stop } from '../../bench/processes';

describe('benchmark server processes', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('report when the server has listened and when its warm-up has settled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadflow-bench-processes-'));
    cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
    const server = await start([
      'server/main.ts',
      '--port',
      '0',
      '--db',
      join(dir, 'lf.db'),
      '--rules-dir',
      join(dir, 'rules'),
      '--tick-every',
      'off',
    ]);
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      await expect(server.warm).resolves.toBeUndefined();
    } finally {
      await stop(server.child);
    }
  });

  it('fail the warm-up of a process that exits without reporting one', async () => {
    // The echo server of bench/server.ts listens but has no warm-up to report.
    const echo = await start(['bench/server.ts', '--echo-server']);
    await stop(echo.child);
    await expect(echo.warm).rejects.toThrow(/exited .* before its warm-up settled/);
  });
});
