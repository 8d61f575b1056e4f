import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateWorkload } from '../../bench/workload';
import { storeHistory } from '../../server/history-import';
import { openHistory } from '../../server/index';
import { startServer, tempWorkspace, type TestServer } from '../server/helpers';
import { variant } from './fixtures';

let server: TestServer;
let editorKey: string;
let ingestKey: string;

beforeAll(async () => {
  // 100,000 events of 10,000 leads: a comparison of two versions takes seconds on it.
  const workspace = await tempWorkspace();
  writeFileSync(join(workspace.rulesDir, 'v2.json'), JSON.stringify(variant('v2', (rules) => (rules.lifecycle.thresholds.mql = 40))));
  const history = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir });
  await storeHistory(history, generateWorkload({ leads: 10_000, events: 100_000 }).events, { recordedBy: 'test' });
  await history.close();
  server = await startServer({ workspace });
  [editorKey, ingestKey] = await Promise.all([server.key('editor'), server.key('ingest')]);
}, 300_000);
afterAll(() => server.close());

const status = async (id: string) => (await server.call('GET', `/v1/comparisons/${id}`, { key: editorKey })).body.status as string;

describe('while comparisons run', () => {
  it('keeps ingesting events without waiting for them', async () => {
    const { id } = (await server.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v2'] } })).body;
    const latencies: number[] = [];
    let duringRun = 0;
    for (let n = 0; (await status(id)) === 'running'; n++) {
      const started = performance.now();
      const reply = await server.call('POST', '/v1/events', {
        key: ingestKey,
        body: {
          id: `busy-${n}`,
          leadId: `busy-${n % 10}`,
          type: 'email_click',
          occurredAt: new Date(Date.UTC(2027, 0, 1, 0, n)).toISOString(),
        },
      });
      latencies.push(performance.now() - started);
      expect(reply.status).toBe(201);
      if ((await status(id)) === 'running') duringRun++;
    }
    expect(await status(id)).toBe('done');
    expect(duringRun).toBeGreaterThanOrEqual(5);
    // Generous for a busy test machine; a run that blocked the event loop would hold requests for seconds.
    expect(Math.max(...latencies)).toBeLessThan(1000);
  }, 120_000);

  it('refuses a third at once with 503 and runs it once one is done', async () => {
    const begin = () => server.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v2'] } });
    const first = await begin();
    const second = await begin();
    expect([first.status, second.status]).toEqual([202, 202]);
    const third = await begin();
    expect(third.status).toBe(503);
    expect(third.type).toContain('application/problem+json');
    expect(third.body.detail).toContain('comparisons are running');
    while ((await status(first.body.id)) === 'running') await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await begin()).status).toBe(202);
  }, 120_000);
});
