/**
 * Storage faults under a running server, named instead of hidden: a full
 * disk, a database file removed while the server runs, and a restart that
 * would otherwise create an empty database where one existed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { StorageFault } from '../../server/index';
import { markerOf, storageFault } from '../../server/storage';
import { openStore } from '../../server/store/index';
import { event, PG_URL, queryRows, removeWorkspace, startServer, tempWorkspace } from './helpers';

/** Mounts a tmpfs of `size` at `dir`; false where this process may not mount (not root, no CAP_SYS_ADMIN). */
function mountSmallDisk(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(PG_URL)('storage faults (SQLite)', () => {
  it('reports a full disk as such, not as the failed rollback that follows it', async () => {
    const workspace = await tempWorkspace();
    const store = await openStore(workspace.db);
    try {
      // The database may not grow past its present size: a stand-in for a full disk.
      const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(store.read.db);
      await sql.raw(`pragma max_page_count = ${rows[0]!.page_count}`).execute(store.read.db);
      const failed = await store
        .transaction((queries) => queries.setMeta('filler', 'x'.repeat(1_000_000)))
        .catch((error: unknown) => error);
      expect(String(failed)).not.toMatch(/cannot rollback/);
      expect(storageFault(failed)).toMatchObject({
        kind: 'disk-full',
        message: expect.stringContaining('the disk holding the database is full'),
      });
      expect(await store.read.meta('filler')).toBeUndefined();
    } finally {
      await store.close();
      await removeWorkspace(workspace);
    }
  });

  it('answers /health with 503 naming the cause once the database file is removed, and refuses to start on an empty one', async () => {
    const workspace = await tempWorkspace();
    try {
      const server = await startServer({ workspace, keep: true });
      expect((await server.call('GET', '/health', { key: null })).status).toBe(200);
      expect(existsSync(markerOf(workspace.db))).toBe(true);

      rmSync(workspace.db);
      const health = await server.call('GET', '/health', { key: null });
      expect(health.status).toBe(503);
      expect(health.type).toContain('application/problem+json');
      expect(health.body).toMatchObject({
        type: '/problems/unavailable',
        storage: 'file-missing',
        detail: expect.stringContaining(`the database file ${workspace.db} was removed`),
      });
      await server.close();

      const restarted = startServer({ workspace, keep: true });
      await expect(restarted).rejects.toBeInstanceOf(StorageFault);
      await expect(restarted).rejects.toThrow(`The database file ${workspace.db} is missing, but a database was created there before`);
      expect(existsSync(workspace.db)).toBe(false);
    } finally {
      await removeWorkspace(workspace);
    }
  });

  it('answers a write to a full disk with 503 naming it, and stores nothing of that request', async (context) => {
    const workspace = await tempWorkspace();
    const disk = join(workspace.dir, 'small-disk');
    if (!mountSmallDisk(disk, '3m')) {
      await removeWorkspace(workspace);
      context.skip();
    }
    const onDisk = { ...workspace, db: join(disk, 'leadflow.db') };
    try {
      const server = await startServer({ workspace: onDisk, keep: true });
      try {
        const ingestKey = await server.key('ingest');
        const padding = 'x'.repeat(1_000);
        let reply;
        let before = 0;
        for (let batch = 0; batch < 200; batch++) {
          before = (await queryRows<{ n: number }>(onDisk, 'select count(*) as n from events'))[0]!.n;
          const events = Array.from({ length: 500 }, (_, i) =>
            event(`full-${batch}-${i % 50}`, 'email_click', i, { properties: { padding } }),
          );
          reply = await server.call('POST', '/v1/events/batch', { key: ingestKey, body: { events } });
          if (reply.status !== 200) break;
        }
        expect(reply!.status).toBe(503);
        expect(reply!.body).toMatchObject({
          type: '/problems/unavailable',
          storage: 'disk-full',
          detail: expect.stringContaining('the disk holding the database is full'),
        });
        expect((await queryRows<{ n: number }>(onDisk, 'select count(*) as n from events'))[0]!.n).toBe(before);
        const health = await server.call('GET', '/health', { key: null });
        expect(health.status).toBe(503);
        // Its own small write fails too, or fits where the request's did not and the fault the request met is reported.
        expect(health.body).toMatchObject({
          storage: 'disk-full',
          detail: expect.stringContaining('the disk holding the database is full'),
        });
      } finally {
        await server.close();
      }
    } finally {
      // Lazily: a thread of the closed server may still be letting go of its files.
      execFileSync('umount', ['-l', disk], { stdio: 'ignore' });
      await removeWorkspace(workspace);
    }
  });
});
