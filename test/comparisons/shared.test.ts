/**
 * Comparisons are kept in the database: every server sharing it answers for
 * any comparison, whichever server runs it, and a comparison whose server
 * stopped is reported failed rather than running forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../server/store/index';
import { PG_URL, startServer, tempWorkspace, type TestServer, type Workspace } from '../server/helpers';
import { smallHistory, v2 } from './fixtures';

let workspace: Workspace;
let first: TestServer;
let second: TestServer | undefined;
let editorKey: string;

beforeAll(async () => {
  workspace = await tempWorkspace();
  writeFileSync(join(workspace.rulesDir, 'v2.json'), JSON.stringify(v2()));
  first = await startServer({ workspace, keep: true });
  // A SQLite file takes one server; PostgreSQL takes several.
  if (PG_URL) second = await startServer({ workspace });
  editorKey = await first.key('editor');
  const stored = await first.call('POST', '/v1/events/batch', { key: await first.key('ingest'), body: { events: smallHistory() } });
  expect(stored.body.stored).toBe(13);
});
afterAll(async () => {
  await first?.close();
  await second?.close();
});

async function follow(server: TestServer, id: string) {
  for (;;) {
    const reply = await server.call('GET', `/v1/comparisons/${id}`, { key: editorKey });
    if (reply.status !== 200 || reply.body.status !== 'running') return reply;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('comparisons kept in the database', () => {
  it.runIf(PG_URL)('are answered by every server sharing it, whichever runs them', async () => {
    const { id } = (await first.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v2'] } })).body;
    const elsewhere = await follow(second!, id);
    const here = await follow(first, id);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body).toMatchObject({ id, status: 'done', position: null, versions: ['v1', 'v2'] });
    expect(elsewhere.text.slice(elsewhere.text.indexOf('"report":'))).toBe(here.text.slice(here.text.indexOf('"report":')));
    const csv = await fetch(`${second!.url}/v1/comparisons/${id}/changes.csv`, { headers: { Authorization: `Bearer ${editorKey}` } });
    expect((await csv.text()).split('\r\n')[1]).toMatch(/^a,/);
  });

  it('reports a comparison whose server stopped writing it as failed, and an unknown one as 404', async () => {
    const store = await openStore(workspace.db);
    const state = { id: 'orphan', status: 'running', progress: 0.4, position: 0, versions: ['v1', 'v2'], source: 'replay' };
    await store.comparisons.save('orphan', JSON.stringify(state), null, new Date(Date.now() - 60_000).toISOString());
    await store.close();
    const reply = await first.call('GET', '/v1/comparisons/orphan', { key: editorKey });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'failed', position: null, error: expect.stringContaining('stopped before it finished') });
    expect((await first.call('GET', '/v1/comparisons/nothing', { key: editorKey })).status).toBe(404);
  });
});
