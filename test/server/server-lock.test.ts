import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseInUseError } from '../../server/index';
import { PG_URL, ROOT, removeWorkspace, startServer, tempWorkspace, type Workspace } from './helpers';
import { spawnServer, stopServer, type ServerProcess } from './processes';

// A SQLite file takes one server (PostgreSQL takes many: scale-out.test.ts).
let workspace: Workspace;
let first: ServerProcess;

beforeAll(async () => {
  if (PG_URL) return;
  workspace = await tempWorkspace();
  first = await spawnServer(workspace);
});
afterAll(async () => {
  if (first) await stopServer(first);
  if (workspace) await removeWorkspace(workspace);
});

describe.skipIf(PG_URL)('one server per SQLite file', () => {
  it('refuses to start a second server on a file another server holds, saying what to do instead', async () => {
    const second = startServer({ workspace, keep: true });
    await expect(second).rejects.toBeInstanceOf(DatabaseInUseError);
    await expect(second).rejects.toThrow(/Another Leadflow server is running on .*leadflow\.db.*PostgreSQL/);
  });

  it('ends `leadflow serve` with the message and exit code 1, not a stack trace', () => {
    const run = spawnSync(
      process.execPath,
      ['bin/leadflow.js', 'serve', '--port', '0', '--db', workspace.db, '--rules-dir', workspace.rulesDir],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^Another Leadflow server is running on /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('starts once the holder is gone, even one killed with SIGKILL', async () => {
    first.child.kill('SIGKILL');
    await first.exited;
    const next = await startServer({ workspace, keep: true });
    try {
      expect((await next.call('GET', '/health')).status).toBe(200);
      // And holds the file in turn.
      await expect(startServer({ workspace, keep: true })).rejects.toBeInstanceOf(DatabaseInUseError);
    } finally {
      await next.close();
    }
  });
});
