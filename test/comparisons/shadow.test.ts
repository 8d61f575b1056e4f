import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type TestServer } from '../server/helpers';
import { smallHistory, v2 } from './fixtures';

let server: TestServer;
let editorKey: string;

/** Starts a comparison and waits for its report. */
async function compare(body: unknown): Promise<any> {
  const { id } = (await server.call('POST', '/v1/comparisons', { key: editorKey, body })).body;
  for (;;) {
    const { body: comparison } = await server.call('GET', `/v1/comparisons/${id}`, { key: editorKey });
    if (comparison.status !== 'running') return comparison;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  server = await startServer();
  editorKey = await server.key('editor');
  // v1 is live; v2 arrives later and runs in shadow from before the first event.
  writeFileSync(join(server.rulesDir, 'v2.json'), JSON.stringify(v2()));
  expect((await server.call('PUT', '/v1/rulesets/challenger', { key: editorKey, body: { version: 'v2' } })).body).toMatchObject({
    active: 'v1',
    challenger: 'v2',
  });
  const ingestKey = await server.key('ingest');
  // One at a time, as live events arrive.
  for (const event of smallHistory()) expect((await server.call('POST', '/v1/events', { key: ingestKey, body: event })).status).toBe(201);
});
afterAll(() => server.close());

describe('a shadow comparison', () => {
  it('compares the live version with the challenger from their stored results, as a replay of the same history would', async () => {
    const shadow = await compare({ versions: ['v1', 'v2'], source: 'shadow' });
    const replayed = await compare({ versions: ['v1', 'v2'] });
    expect(shadow).toMatchObject({ status: 'done', source: 'shadow', versions: ['v1', 'v2'] });
    expect(shadow.report.source).toBe('shadow');
    expect(shadow.report.versions.map((v: any) => [v.version, v.handOffs, v.classification.precision, v.classification.recall])).toEqual([
      ['v1', 1, 1, 0.5],
      ['v2', 3, 2 / 3, 1],
    ]);
    // Every figure equals the replay's here: each lead was seen by both versions from its first event, and no event follows an outcome.
    for (const part of ['period', 'options', 'events', 'versions', 'diffs', 'whatIf'])
      expect(shadow.report[part], part).toEqual(replayed.report[part]);
    // The shadow's own notes come first, then the notes every report carries.
    expect(shadow.report.notes.map((note: any) => note.code)).toEqual([
      'shadow-stored-results',
      'shadow-challenger-leads',
      'shadow-after-outcome',
      ...replayed.report.notes.map((note: any) => note.code),
    ]);
  });

  it('follows the order of the versions asked for, the baseline first', async () => {
    const shadow = await compare({ versions: ['v2', 'v1'], source: 'shadow' });
    expect(shadow.report.versions.map((v: any) => [v.version, v.handOffs])).toEqual([
      ['v2', 3],
      ['v1', 1],
    ]);
    expect(shadow.report.diffs[0]).toMatchObject({ from: 'v2', to: 'v1', handOffChanged: 2 });
  });

  it('applies the period to stored results too', async () => {
    const shadow = await compare({ versions: ['v1', 'v2'], source: 'shadow', until: '2024-01-01T09:05:00Z' });
    const replayed = await compare({ versions: ['v1', 'v2'], until: '2024-01-01T09:05:00Z' });
    expect(shadow.report.versions.map((v: any) => v.handOffs)).toEqual([0, 2]);
    expect(shadow.report.versions).toEqual(replayed.report.versions);
  });

  it('compares only the active version with the challenger', async () => {
    const reply = await server.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v3'], source: 'shadow' } });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([{ path: 'versions[1]', message: 'no rule set version v3' }]);
    writeFileSync(join(server.rulesDir, 'v3.json'), JSON.stringify({ ...v2(), version: 'v3' }));
    const other = await server.call('POST', '/v1/comparisons', { key: editorKey, body: { versions: ['v1', 'v3'], source: 'shadow' } });
    expect(other.status).toBe(400);
    expect(other.body.errors).toEqual([
      { path: 'versions', message: 'a shadow comparison compares the active version (v1) with the challenger (v2)' },
    ]);
  });
});
