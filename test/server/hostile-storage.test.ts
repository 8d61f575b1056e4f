/**
 * Storage faults under a running server, named instead of hidden: a full
 * disk, a database file removed while the server runs, and a restart that
 * would otherwise create an empty database where one existed.
 */
import { existsSync, rmSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { StorageFault } from '../../server/index';
import { markerOf, storageFault } from '../../server/storage';
import { openStore } from '../../server/store/index';
import { PG_URL, removeWorkspace, startServer, tempWorkspace } from './helpers';

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
});
