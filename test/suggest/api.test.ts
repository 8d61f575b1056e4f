import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byCodeUnit, type LeadEvent } from '../../engine/index';
import { suggestRuleSet } from '../../engine/suggest';
import { openStore } from '../../server/store/index';
import { ADMIN_KEY, startServer, type Reply, type TestServer } from '../server/helpers';
import { syntheticHistory, v1 } from './fixtures';

const DAY = 86_400_000;
/** The synthetic history starts here; a lead arrives every 4 hours, its outcome 30 days after its first event. */
const START = Date.UTC(2024, 0, 1);
const day = (n: number) => new Date(START + n * DAY).toISOString();

const history = syntheticHistory({ leads: 600 });
let server: TestServer;
let editorKey: string;
let salesKey: string;
let ingestKey: string;

beforeAll(async () => {
  server = await startServer();
  [editorKey, salesKey, ingestKey] = await Promise.all([server.key('editor'), server.key('sales'), server.key('ingest')]);
  const stored = await server.call('POST', '/v1/events/batch', { key: ingestKey, body: { events: history } });
  expect(stored.status).toBe(200);
  expect(stored.body.stored).toBe(history.length);
});
afterAll(() => server.close());

const start = (body: unknown, key = editorKey) => server.call('POST', '/v1/suggestions', { key, body });

/** Polls a suggestion until it is no longer running; returns every reply seen. */
async function follow(id: string, key = editorKey): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (;;) {
    const reply = await server.call('GET', `/v1/suggestions/${id}`, { key });
    replies.push(reply);
    if (reply.status !== 200 || reply.body.status !== 'running') return replies;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The history of a period as the server reads it: leads first seen in it, events before its end, in time then id order. */
function period(since: string, until: string): LeadEvent[] {
  const firstSeen = new Map<string, number>();
  for (const event of history) if (!firstSeen.has(event.leadId)) firstSeen.set(event.leadId, Date.parse(event.occurredAt));
  return history
    .filter((event) => Date.parse(event.occurredAt) < Date.parse(until) && firstSeen.get(event.leadId)! >= Date.parse(since))
    .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || byCodeUnit(a.id, b.id));
}

describe('POST /v1/suggestions', () => {
  it('fits in the background what `leadflow suggest` fits on the same period, and sets the points beside the current ones', async () => {
    const [since, until] = [day(5), day(95)];
    const reply = await start({ since, until, seed: 3 });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ id: expect.any(String) });
    const replies = await follow(reply.body.id);
    const { body } = replies.at(-1)!;
    expect(body).toMatchObject({ kind: 'suggestion', status: 'done', progress: 1, position: null, from: 'v1', since, until });
    const progress = replies.map((r) => r.body.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const expected = suggestRuleSet(v1(), period(since, until), { version: 'v2', source: 'the stored history', seed: 3 });
    const { result } = body;
    expect(result.ruleSet).toEqual(expected.ruleSet);
    expect(result.report).toEqual(expected.report);
    const held = expected.report.auc.holdOut;
    expect(result.auc).toEqual({ leads: held.leads, current: held.original, suggested: held.pointsTable, regression: held.regression });
    expect(result.refused).toBeNull();

    // The current version's rules first, each with what the suggestion gives it; then the suggestion's own.
    const current = v1().definition.scoring;
    expect(result.rows.slice(0, current.length).map((row: any) => [row.id, row.current])).toEqual(current.map((r) => [r.id, r.points]));
    for (const row of result.rows) {
      const suggested = expected.ruleSet.scoring.find((rule) => rule.id === row.id)?.points ?? null;
      expect(row.suggested, row.id).toBe(suggested);
      expect(row.change, row.id).toBe((suggested ?? 0) - (row.current ?? 0));
    }
    expect(result.rows.map((row: any) => row.id)).toEqual(expect.arrayContaining(['plan-pro']));
    expect(result.thresholds.suggested).toEqual(expected.report.thresholds);
    expect(result.thresholds.current).toEqual({ mql: 60, hot: 60, warm: 30, reactivation: 20 });
  });

  it('suggests from the active version over all history unless told otherwise', async () => {
    const { body } = (await follow((await start({})).body.id)).at(-1)!;
    expect(body).toMatchObject({ status: 'done', from: 'v1', since: null, until: null });
    expect(body.result.events).toBe(history.length);
    expect(body.result.leads).toMatchObject({ total: 600 });
  });

  it('refuses a period without both outcomes as a result, with the cause and the fix as a note', async () => {
    // Outcomes come 30 days after a lead's first event: none has one by day 20.
    const { body } = (await follow((await start({ until: day(20) })).body.id)).at(-1)!;
    expect(body.status).toBe('done');
    const { result } = body;
    expect(result.refused).toEqual({ code: 'one-outcome', message: expect.stringContaining('no won or lost leads') });
    expect(result.refused.message).toContain('import the outcomes of past leads');
    expect(result.notes).toEqual([{ code: 'one-outcome', message: result.refused.message, values: { won: 0, lost: 0, total: 120 } }]);
    expect([result.auc, result.ruleSet]).toEqual([null, null]);
    expect(result.rows.every((row: any) => row.suggested === null)).toBe(true);
  });

  it('lets editors and admins start and read one, and no other role', async () => {
    expect((await start({ until: day(20) }, salesKey)).status).toBe(403);
    expect((await start({ until: day(20) }, ingestKey)).status).toBe(403);
    expect((await server.call('POST', '/v1/suggestions', { key: null, body: {} })).status).toBe(401);
    const admin = await start({ until: day(20) }, ADMIN_KEY);
    expect(admin.status).toBe(202);
    expect((await follow(admin.body.id)).at(-1)!.body.status).toBe('done');
    expect((await server.call('GET', `/v1/suggestions/${admin.body.id}`, { key: salesKey })).status).toBe(403);
  });

  it('answers bad requests with problem+json naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ from: 'v9' }, 'from'],
      [{ from: 'latest' }, 'from'],
      [{ since: 'yesterday' }, 'since'],
      [{ since: day(50), until: day(10) }, 'until'],
      [{ holdOut: 1 }, 'holdOut'],
      [{ horizonDays: 0 }, 'horizonDays'],
      [{ l2: -1 }, 'l2'],
      [{ seed: 1.5 }, 'seed'],
      [{ ignore: 'email' }, 'ignore'],
    ];
    for (const [body, path] of cases) {
      const reply = await start(body);
      const label = JSON.stringify(body);
      expect(reply.status, label).toBe(400);
      expect(reply.type, label).toContain('application/problem+json');
      expect(
        reply.body.errors.map((e: { path: string }) => e.path),
        label,
      ).toContain(path);
    }
    expect((await start({ from: 'v9' })).body.errors).toEqual([{ path: 'from', message: 'no rule set version v9' }]);
  });

  it('keeps suggestions and comparisons apart by id, though they share one line and one table', async () => {
    const suggestion = (await start({ until: day(20) })).body.id;
    expect((await server.call('GET', `/v1/suggestions/${suggestion}`, { key: editorKey })).status).toBe(200);
    expect((await server.call('GET', `/v1/comparisons/${suggestion}`, { key: editorKey })).status).toBe(404);
    const unknown = await server.call('GET', '/v1/suggestions/no-such-id', { key: editorKey });
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain('application/problem+json');
  });

  it('answers for a suggestion kept in the database, and reports one whose server stopped writing it as failed', async () => {
    const store = await openStore(server.db);
    const state = (id: string, status: string) => ({ id, kind: 'suggestion', status, progress: 0.3, position: 0, from: 'v1', options: {} });
    await store.comparisons.save('orphan', JSON.stringify(state('orphan', 'running')), null, new Date(Date.now() - 60_000).toISOString());
    await store.comparisons.save('elsewhere', JSON.stringify(state('elsewhere', 'done')), '{"from":"v1"}', new Date().toISOString());
    await store.close();
    const orphan = await server.call('GET', '/v1/suggestions/orphan', { key: editorKey });
    expect(orphan.status).toBe(200);
    expect(orphan.body).toMatchObject({
      status: 'failed',
      position: null,
      error: expect.stringContaining('suggestion stopped before it finished'),
    });
    expect((await server.call('GET', '/v1/suggestions/elsewhere', { key: editorKey })).body).toMatchObject({
      status: 'done',
      result: { from: 'v1' },
    });
    expect((await server.call('GET', '/v1/comparisons/orphan', { key: editorKey })).status).toBe(404);
  });

  it('tells the period of stored history to choose from', async () => {
    const { status, body } = await server.call('GET', '/v1/suggestions/period', { key: editorKey });
    expect(status).toBe(200);
    expect(body).toEqual({ firstEventAt: history[0]!.occurredAt, lastEventAt: history.at(-1)!.occurredAt });
    expect((await server.call('GET', '/v1/suggestions/period', { key: salesKey })).status).toBe(403);
  });

  it('is described in the OpenAPI document', async () => {
    const { body } = await server.call('GET', '/openapi.json', { key: null });
    expect(body.paths['/v1/suggestions'].post.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(body.paths['/v1/suggestions'].post.responses)).toEqual(expect.arrayContaining(['202', '400', '403', '503']));
    expect(body.paths['/v1/suggestions/{id}'].get.responses['200'].content['application/json'].schema).toBeDefined();
    expect(Object.keys(body.components.schemas.SuggestionRequest.properties)).toEqual(
      expect.arrayContaining(['from', 'since', 'until', 'horizonDays', 'holdOut', 'seed', 'l2', 'ignore']),
    );
    expect(body.components.schemas.SuggestionResult.properties.auc).toBeDefined();
  });
});
