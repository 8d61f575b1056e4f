import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atThreshold, type ThresholdCurve } from '../../engine/index';
import { startServer, tempWorkspace, type Reply, type TestServer } from '../server/helpers';
import { smallHistory, v2 } from './fixtures';

let server: TestServer;
let editorKey: string;
let salesKey: string;
let ingestKey: string;

beforeAll(async () => {
  const workspace = await tempWorkspace();
  writeFileSync(join(workspace.rulesDir, 'v2.json'), JSON.stringify(v2()));
  server = await startServer({ workspace });
  // A new database starts on its newest version; the comparisons below are about history, whatever is live.
  [editorKey, salesKey, ingestKey] = await Promise.all([server.key('editor'), server.key('sales'), server.key('ingest')]);
  const stored = await server.call('POST', '/v1/events/batch', { key: ingestKey, body: { events: smallHistory() } });
  expect(stored.body.stored).toBe(13);
});
afterAll(() => server.close());

const start = (body: unknown, key = editorKey) => server.call('POST', '/v1/comparisons', { key, body });

/** Polls a comparison until it is no longer running; returns every reply seen. */
async function follow(id: string, key = editorKey): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (;;) {
    const reply = await server.call('GET', `/v1/comparisons/${id}`, { key });
    replies.push(reply);
    if (reply.status !== 200 || reply.body.status !== 'running') return replies;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('POST /v1/comparisons', () => {
  it('starts a replay in the background and answers with its id at once', async () => {
    const reply = await start({ versions: ['v1', 'v2'] });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ id: expect.any(String) });
    const replies = await follow(reply.body.id);
    const last = replies.at(-1)!;
    expect(last.status).toBe(200);
    expect(last.body).toMatchObject({
      id: reply.body.id,
      status: 'done',
      progress: 1,
      versions: ['v1', 'v2'],
      source: 'replay',
      since: null,
      until: null,
    });
    for (const { body } of replies) {
      expect(body.progress).toBeGreaterThanOrEqual(0);
      expect(body.progress).toBeLessThanOrEqual(1);
    }
    const progress = replies.map((r) => r.body.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('reports what the replay found, with a what-if curve per version that a slider can read', async () => {
    const { body } = (await follow((await start({ versions: ['v1', 'v2'] })).body.id)).at(-1)!;
    const { report } = body;
    expect(
      report.versions.map((v: any) => [v.version, v.handOffs, v.classification.truePositives, v.classification.falsePositives]),
    ).toEqual([
      ['v1', 1, 1, 0],
      ['v2', 3, 2, 1],
    ]);
    expect(report.diffs[0].changes.map((c: any) => c.leadId)).toEqual(['a', 'c', 'd']);
    const curves = report.whatIf as ThresholdCurve[];
    expect(curves.map((curve) => [curve.version, curve.threshold, curve.resolved, curve.won])).toEqual([
      ['v1', 60, 4, 2],
      ['v2', 30, 4, 2],
    ]);
    // At each version's own threshold the curve agrees with the replay; below it, more leads are handed over.
    expect(atThreshold(curves[0]!, 60)).toMatchObject({ handOffs: 1, truePositives: 1, falsePositives: 0 });
    expect(atThreshold(curves[0]!, 30)).toMatchObject({ handOffs: 3, truePositives: 2, falsePositives: 1, recall: 1 });
    expect(atThreshold(curves[1]!, 30)).toMatchObject({ handOffs: 3, truePositives: 2, falsePositives: 1 });
    // One lead is open, and four resolved leads are far too few to tell versions apart: the report says both.
    expect(report.notes.map((note: any) => note.code)).toEqual(['open-leads', 'few-resolved']);
    expect(report.options).toEqual({ horizonDays: 90, openAsLostAfterDays: null, minSample: 30 });
  });

  it('gives the same report, byte for byte, for the same history and versions', async () => {
    const reportOf = async () => {
      const { text } = (await follow((await start({ versions: ['v2', 'v1'] })).body.id)).at(-1)!;
      return text.slice(text.indexOf('"report":'));
    };
    expect(await reportOf()).toBe(await reportOf());
  });

  it('replays only the period asked for', async () => {
    const { body } = (await follow((await start({ versions: ['v1', 'v2'], until: '2024-01-01T09:05:00+00:00' })).body.id)).at(-1)!;
    expect(body.until).toBe('2024-01-01T09:05:00.000Z');
    // At 09:05 only the first event of each lead is in: none is resolved; v2 has handed over a (demo request) and d (contact request).
    expect(body.report.events.read).toBe(5);
    expect(body.report.versions.map((v: any) => [v.leads.open, v.handOffs])).toEqual([
      [5, 0],
      [5, 2],
    ]);
  });

  it('lets only editors start one, and editors and sales read it', async () => {
    const denied = await start({ versions: ['v1', 'v2'] }, salesKey);
    expect(denied.status).toBe(403);
    expect(denied.type).toContain('application/problem+json');
    expect((await start({ versions: ['v1', 'v2'] }, ingestKey)).status).toBe(403);
    expect((await server.call('POST', '/v1/comparisons', { key: null, body: { versions: ['v1', 'v2'] } })).status).toBe(401);

    const { id } = (await start({ versions: ['v1', 'v2'] })).body;
    expect((await follow(id, salesKey)).at(-1)!.body.status).toBe('done');
    expect((await server.call('GET', `/v1/comparisons/${id}`, { key: ingestKey })).status).toBe(403);
    expect((await server.call('GET', `/v1/comparisons/${id}`, { key: null })).status).toBe(401);
  });

  it('answers bad requests with problem+json naming the field', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ versions: ['v1'] }, 400, 'versions'],
      [{ versions: ['v1', 'v1'] }, 400, 'versions'],
      [{ versions: ['v1', 'latest'] }, 400, 'versions[1]'],
      [{ versions: ['v1', 'v9'] }, 400, 'versions[1]'],
      [{ versions: ['v1', 'v2'], since: 'yesterday' }, 400, 'since'],
      [{ versions: ['v1', 'v2'], since: '2024-02-01T00:00:00Z', until: '2024-01-01T00:00:00Z' }, 400, 'until'],
      [{ versions: ['v1', 'v2'], source: 'crystal-ball' }, 400, 'source'],
      [{ versions: ['v1', 'v2'], horizonDays: 0 }, 400, 'horizonDays'],
      [{ versions: ['v1', 'v2'], openAsLostAfterDays: 'soon' }, 400, 'openAsLostAfterDays'],
      [{ versions: ['v1', 'v2'], source: 'shadow' }, 409, ''],
    ];
    for (const [body, status, path] of cases) {
      const reply = await start(body);
      const label = JSON.stringify(body);
      expect(reply.status, label).toBe(status);
      expect(reply.type, label).toContain('application/problem+json');
      if (path)
        expect(
          reply.body.errors.map((e: { path: string }) => e.path),
          label,
        ).toContain(path);
    }
    expect((await start({ versions: ['v1', 'v9'] })).body.errors).toEqual([{ path: 'versions[1]', message: 'no rule set version v9' }]);
    expect((await start({ versions: ['v1', 'v2'], source: 'shadow' })).body.detail).toContain('No challenger is set');
    const unknown = await server.call('GET', '/v1/comparisons/no-such-id', { key: editorKey });
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain('application/problem+json');
  });

  it('judges within the horizon asked for and counts long-idle open leads as lost', async () => {
    const { body } = (await follow((await start({ versions: ['v1', 'v2'], horizonDays: 30, openAsLostAfterDays: 0.1 })).body.id)).at(-1)!;
    expect(body).toMatchObject({ horizonDays: 30, openAsLostAfterDays: 0.1 });
    expect(body.report.options).toEqual({ horizonDays: 30, openAsLostAfterDays: 0.1, minSample: 30 });
    // Every event falls within three hours: the lead open since 09:00 was idle for more than 0.1 day (2.4 hours) at 12:00.
    expect(body.report.versions[0].leads).toMatchObject({ resolved: 5, openCountedAsLost: 1, open: 0 });
    expect(body.report.notes[0].code).toBe('open-as-lost');
  });

  it('exports the changed leads as CSV, filtered by outcome and kind of change', async () => {
    const { id } = (await start({ versions: ['v1', 'v2'] })).body;
    await follow(id);
    const csv = (query = '') =>
      fetch(`${server.url}/v1/comparisons/${id}/changes.csv${query}`, { headers: { Authorization: `Bearer ${salesKey}` } });
    const all = await csv();
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(all.headers.get('content-disposition')).toBe('attachment; filename="changes-v1-v2.csv"');
    const lines = (await all.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'leadId,outcome,changes,fromScore,fromBand,fromHandedOff,fromStage,toScore,toBand,toHandedOff,toStage,thresholds,rules',
    );
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(['a', 'c', 'd']);
    const won = (await (await csv('?outcome=won&kind=hand-off')).text()).trimEnd().split('\r\n');
    expect(won.slice(1).every((line) => line.split(',')[1] === 'won' && line.split(',')[2]!.includes('hand-off'))).toBe(true);
    expect(won.length).toBeLessThan(lines.length);
    expect((await csv('?diff=1')).status).toBe(404);
    expect((await csv('?kind=colour')).status).toBe(400);
    const denied = await fetch(`${server.url}/v1/comparisons/${id}/changes.csv`, { headers: { Authorization: `Bearer ${ingestKey}` } });
    expect(denied.status).toBe(403);
  });

  it('is described in the OpenAPI document', async () => {
    const { body } = await server.call('GET', '/openapi.json', { key: null });
    expect(body.paths['/v1/comparisons'].post.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(body.paths['/v1/comparisons'].post.responses)).toEqual(expect.arrayContaining(['202', '400', '403']));
    expect(body.paths['/v1/comparisons/{id}'].get.responses['200'].content['application/json'].schema).toBeDefined();
    expect(body.components.schemas.ComparisonRequest.properties.source.enum).toEqual(['replay', 'shadow']);
    expect(body.paths['/v1/rulesets/{version}/approvals'].post).toBeDefined();
  });
});
