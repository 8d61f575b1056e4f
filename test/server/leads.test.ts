import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, events, startServer, type TestServer } from './helpers';

let server: TestServer;
let ingestKey: string;
let salesKey: string;

beforeAll(async () => {
  server = await startServer();
  [ingestKey, salesKey] = await Promise.all([server.key('ingest'), server.key('sales')]);
  await server.call('POST', '/v1/events/batch', {
    key: ingestKey,
    body: {
      events: [
        ...events('hot-lead', ['demo_request', 'webinar_attended', 'email_click']),
        ...events('warm-lead', ['demo_request']),
        ...events('cold-lead', ['email_open']),
        ...Array.from({ length: 12 }, (_, i) => event(`page-${String(i).padStart(2, '0')}`, 'email_open', i)),
      ],
    },
  });
});
afterAll(() => server.close());

const get = (path: string) => server.call('GET', path, { key: salesKey });

describe('GET /v1/leads/{id}', () => {
  it('returns the state, the newest explanation and the full timeline with points and stage changes', async () => {
    const { status, body } = await get('/v1/leads/hot-lead');
    expect(status).toBe(200);
    expect(body.lead).toMatchObject({ id: 'hot-lead', stage: 'mql', band: 'hot', score: { total: 60 }, eventCount: 3 });
    expect(body.explanation).toMatchObject({ eventId: 'hot-lead-email_click-120', eventType: 'email_click' });
    expect(body.timeline.map((t: { type: string; points: number }) => [t.type, t.points])).toEqual([
      ['demo_request', 30],
      ['webinar_attended', 20],
      ['email_click', 10],
    ]);
    expect(body.timeline[2].stageChanges).toEqual([
      expect.objectContaining({ from: 'inquiry', to: 'mql', transitionId: 'reached-mql-threshold' }),
    ]);
    expect(body.stageHistory.map((c: { to: string }) => c.to)).toEqual(['inquiry', 'mql']);
  });

  it('answers 404 for an unknown lead', async () => {
    const reply = await get('/v1/leads/nobody');
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ type: '/problems/not-found', status: 404 });
  });
});

describe('GET /v1/leads/{id}/handoff', () => {
  it('summarises the lead for sales', async () => {
    const { body } = await get('/v1/leads/hot-lead/handoff');
    expect(body).toMatchObject({ leadId: 'hot-lead', interestLevel: 'high', recommendedApproach: 'meeting', stage: 'mql' });
    expect(body.recentActivity.map((a: { type: string }) => a.type)).toEqual(['email_click', 'webinar_attended', 'demo_request']);
  });
});

describe('GET /v1/leads', () => {
  it('filters by stage and band', async () => {
    const mql = (await get('/v1/leads?stage=mql')).body.leads.map((l: { id: string }) => l.id);
    expect(mql).toEqual(['hot-lead']);
    const warm = (await get('/v1/leads?band=warm')).body.leads.map((l: { id: string }) => l.id);
    expect(warm).toEqual(['warm-lead']);
  });

  it('filters by score range and queue', async () => {
    const ids = (await get('/v1/leads?minScore=10&maxScore=40')).body.leads.map((l: { id: string }) => l.id).sort();
    expect(ids).toEqual(['warm-lead']);
    const queue = (await get('/v1/leads?queue=account-executives')).body.leads.map((l: { id: string }) => l.id).sort();
    expect(queue).toEqual(['hot-lead', 'warm-lead']);
  });

  it('filters by update time', async () => {
    const future = (await get('/v1/leads?updatedSince=2999-01-01T00:00:00Z')).body.leads;
    expect(future).toEqual([]);
    const past = (await get('/v1/leads?updatedSince=2000-01-01T00:00:00Z&limit=500')).body.leads;
    expect(past).toHaveLength(15);
  });

  it('pages with a cursor through every lead exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply: any = await get(`/v1/leads?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...reply.body.leads.map((l: { id: string }) => l.id));
      cursor = reply.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(15);
    expect(seen).toHaveLength(15);
  });

  it('rejects bad filters, naming the query parameter', async () => {
    const cases: Array<[string, string]> = [
      ['stage=lukewarm', 'query.stage'],
      ['minScore=high', 'query.minScore'],
      ['limit=0', 'query.limit'],
      ['updatedSince=yesterday', 'query.updatedSince'],
      ['cursor=garbage', 'query.cursor'],
      ['minScore=50&maxScore=10', 'query.minScore'],
    ];
    for (const [query, path] of cases) {
      const reply = await get(`/v1/leads?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.errors[0].path, query).toBe(path);
    }
  });
});

describe('GET /v1/leads by owner', () => {
  it('finds the leads routed to an owner', async () => {
    const current = (await server.call('GET', '/v1/rulesets/v1')).body.definition;
    const { version: _version, createdAt: _createdAt, author: _author, parent: _parent, ...rest } = current;
    const created = await server.call('POST', '/v1/rulesets', {
      body: { ...rest, routing: { ...rest.routing, default: { ...rest.routing.default, owner: 'ana' } } },
    });
    // One key may approve for one team only: marketing approves with an editor key, sales with a sales key.
    const approvers = { marketing: await server.key('editor'), sales: salesKey };
    for (const [team, key] of Object.entries(approvers)) {
      const approval = await server.call('POST', `/v1/rulesets/${created.body.version}/approvals`, { key, body: { team } });
      expect(approval.status, team).toBe(201);
    }
    expect((await server.call('POST', `/v1/rulesets/${created.body.version}/activate`)).status).toBe(200);
    await server.call('POST', '/v1/events', { key: ingestKey, body: event('owned', 'email_open', 0) });
    const owned = (await get('/v1/leads?owner=ana')).body.leads.map((l: { id: string; owner: string }) => [l.id, l.owner]);
    expect(owned).toEqual([['owned', 'ana']]);
    expect((await server.call('POST', '/v1/rulesets/v1/activate')).status).toBe(200);
  });
});

describe('PUT /v1/leads/{id}/attributes', () => {
  it('upserts attributes, creating the lead, and fit rules score them', async () => {
    const reply = await server.call('PUT', '/v1/leads/fit-lead/attributes', {
      key: ingestKey,
      body: { attributes: { company: 'Acme', role: 'director', companySize: 500 }, occurredAt: '2026-03-01T09:00:00Z', eventId: 'fit-1' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.lead).toMatchObject({ attributes: { company: 'Acme' }, score: { fit: 15, total: 15 } });
    const update = await server.call('PUT', '/v1/leads/fit-lead/attributes', {
      key: ingestKey,
      body: { attributes: { role: 'student' }, occurredAt: '2026-03-02T09:00:00Z' },
    });
    expect(update.body.lead).toMatchObject({ attributes: { company: 'Acme', role: 'student' }, score: { fit: 5 } });
  });

  it('rejects attributes that are not an object', async () => {
    const reply = await server.call('PUT', '/v1/leads/fit-lead/attributes', { key: ingestKey, body: { attributes: 'CEO' } });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('attributes');
  });
});
