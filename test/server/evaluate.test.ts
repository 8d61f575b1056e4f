import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type TestServer } from './helpers';

let server: TestServer;
let editorKey: string;
let v1: any;

beforeAll(async () => {
  server = await startServer();
  editorKey = await server.key('editor');
  v1 = JSON.parse(readFileSync(join(server.rulesDir, 'v1.json'), 'utf8'));
});
afterAll(() => server.close());

const evaluate = (body: unknown) => server.call('POST', '/v1/evaluate', { key: editorKey, body });
const clicks = [
  { type: 'demo_request', occurredAt: '2026-03-01T10:00:00Z' },
  { type: 'webinar_attended', occurredAt: '2026-03-01T09:00:00Z', properties: { title: 'Intro' } },
];

describe('POST /v1/evaluate', () => {
  it('evaluates a lead with the active version, events in time order, and stores nothing', async () => {
    const reply = await evaluate({ lead: { id: 'preview-1', attributes: { role: 'director' } }, events: clicks });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      ruleSetVersion: 'v1',
      lead: { id: 'preview-1', score: { fit: 10, engagement: 50, total: 60 }, stage: 'mql' },
    });
    expect(reply.body.explanations.map((e: { eventType: string }) => e.eventType)).toEqual(['webinar_attended', 'demo_request']);
    expect(reply.body.handOff).toMatchObject({ interestLevel: 'high', recommendedApproach: 'meeting' });
    expect((await server.call('GET', '/v1/leads')).body.leads).toEqual([]);
  });

  it('evaluates with an unsaved rule set', async () => {
    const { version: _version, createdAt: _createdAt, author: _author, parent: _parent, note: _note, ...draft } = v1;
    draft.scoring = draft.scoring.map((rule: { id: string }) => (rule.id === 'webinar-attended' ? { ...rule, points: 50 } : rule));
    const reply = await evaluate({ ruleSet: draft, events: clicks });
    expect(reply.status).toBe(200);
    expect(reply.body.lead.score.engagement).toBe(80);
    expect((await server.call('GET', '/v1/rulesets')).body.versions).toHaveLength(1);
  });

  it('reports every problem of an unsaved rule set at its JSON path in the body', async () => {
    const reply = await evaluate({
      ruleSet: { ...v1, bands: { hot: 'high' }, scoring: [{ ...v1.scoring[0], when: { contians: [1, 2] } }] },
      events: clicks,
    });
    expect(reply.status).toBe(400);
    expect(reply.body.type).toBe('/problems/invalid-rule-set');
    const paths = reply.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['ruleSet.bands.hot', 'ruleSet.bands.warm']));
  });

  it('evaluates with a stored version by name, and 404s for an unknown one', async () => {
    expect((await evaluate({ version: 'v1', events: clicks })).body.ruleSetVersion).toBe('v1');
    expect((await evaluate({ version: 'v9', events: clicks })).status).toBe(404);
  });

  it('names bad events by index', async () => {
    const reply = await evaluate({
      events: [clicks[0], { type: 'smoke_signal', occurredAt: '2026-03-01T10:00:00Z' }, { type: 'email_open', occurredAt: 'noon' }],
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errors.map((e: { path: string }) => e.path)).toEqual(['events[1].type', 'events[2].occurredAt']);
  });

  it('refuses a version and a rule set together', async () => {
    const reply = await evaluate({ version: 'v1', ruleSet: v1, events: [] });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('version');
  });
});
