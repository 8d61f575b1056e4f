import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateWorkload } from '../../bench/workload';
import { COMPARISON_THREAD_NICE, MAX_QUEUED_COMPARISONS } from '../../server/config';
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

  it('runs one at a time, the others waiting in line with their position, each to its report', async () => {
    const begin = () => server.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v2'] } });
    const started = [await begin(), await begin(), await begin()];
    expect(started.map((reply) => reply.status)).toEqual([202, 202, 202]);
    const ids = started.map((reply) => reply.body.id as string);
    const first = await server.call('GET', `/v1/comparisons/${ids[0]}`, { key: editorKey });
    const third = await server.call('GET', `/v1/comparisons/${ids[2]}`, { key: editorKey });
    expect(first.body).toMatchObject({ status: 'running', position: 0 });
    expect(third.body).toMatchObject({ status: 'running', position: 2, progress: 0 });
    while ((await status(ids[0]!)) === 'running') await new Promise((resolve) => setTimeout(resolve, 100));
    // The first is done: the others moved up.
    expect((await server.call('GET', `/v1/comparisons/${ids[2]}`, { key: editorKey })).body.position).toBe(1);
    for (const id of ids) while ((await status(id)) === 'running') await new Promise((resolve) => setTimeout(resolve, 100));
    const done = await Promise.all(ids.map((id) => server.call('GET', `/v1/comparisons/${id}`, { key: editorKey })));
    expect(done.map((reply) => [reply.body.status, reply.body.position])).toEqual([
      ['done', null],
      ['done', null],
      ['done', null],
    ]);
    expect(new Set(done.map((reply) => JSON.stringify(reply.body.report))).size).toBe(1);
  }, 300_000);

  it('replays on threads at a lower scheduling priority than the one serving requests', async () => {
    const { id } = (await server.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v2'] } })).body;
    // Field 19 of a task's stat is its nice value; the thread serving requests keeps 0.
    const nice = (task: string) => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const seen = new Set<number>();
    while ((await status(id)) === 'running') {
      for (const task of readdirSync('/proc/self/task')) {
        try {
          seen.add(nice(task));
        } catch {
          // The thread ended between listing and reading.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(nice(String(process.pid))).toBe(0);
    expect(seen).toContain(COMPARISON_THREAD_NICE);
  }, 120_000);

  it('puts a suggestion in the same line, behind the comparison running, and runs it after', async () => {
    const comparison = (await server.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v2'] } })).body.id;
    // A day of history: the suggestion itself is quick; it is its place in line that is tested.
    const { firstEventAt } = (await server.call('GET', '/v1/suggestions/period', { key: editorKey })).body;
    const until = new Date(Date.parse(firstEventAt) + 86_400_000).toISOString();
    const started = await server.call('POST', '/v1/suggestions', { key: editorKey, body: { until } });
    expect(started.status).toBe(202);
    const suggestion = () => server.call('GET', `/v1/suggestions/${started.body.id}`, { key: editorKey });
    expect((await suggestion()).body).toMatchObject({ status: 'running', position: 1, progress: 0 });
    while ((await status(comparison)) === 'running') await new Promise((resolve) => setTimeout(resolve, 100));
    let reply = await suggestion();
    while (reply.body.status === 'running') {
      expect(reply.body.position).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      reply = await suggestion();
    }
    expect(reply.body).toMatchObject({ status: 'done', position: null, progress: 1, until });
    expect(reply.body.result.period.until).toBe(until);
  }, 120_000);

  // Last: it leaves comparisons running and waiting, which closing the server stops and forgets.
  it('refuses one more than the line holds with 503', async () => {
    const begin = () => server.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v2'] } });
    // One runs for seconds on this history while MAX_QUEUED_COMPARISONS more are put in line behind it.
    const accepted = [];
    for (let n = 0; n <= MAX_QUEUED_COMPARISONS; n++) accepted.push(await begin());
    expect(accepted.map((reply) => reply.status)).toEqual(accepted.map(() => 202));
    const refused = await begin();
    expect(refused.status).toBe(503);
    expect(refused.type).toContain('application/problem+json');
    expect(refused.body.detail).toBe(
      `${MAX_QUEUED_COMPARISONS} jobs (comparisons or suggestions) are waiting behind the one running, the most the line holds; start this one when one of them is done.`,
    );
    const last = await server.call('GET', `/v1/comparisons/${accepted.at(-1)!.body.id}`, { key: editorKey });
    expect(last.body).toMatchObject({ status: 'running', position: MAX_QUEUED_COMPARISONS, progress: 0 });
  }, 120_000);
});
