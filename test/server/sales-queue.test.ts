import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpis } from '../../server/kpis';
import { event, startServer, type TestServer } from './helpers';

let server: TestServer;
let ingestKey: string;
let salesKey: string;

const HAND_OFF = ['demo_request', 'webinar_attended', 'email_click'];

/** Events that hand a lead to sales (MQL), starting `start` minutes after the fixed base, one an hour; `extra` add to its score. */
function handOff(leadId: string, start: number, extra: string[] = []) {
  return [...extra, ...HAND_OFF].map((type, i) => event(leadId, type, start + i * 60));
}

const get = (path: string) => server.call('GET', path, { key: salesKey });
const ids = (reply: { body: { leads: Array<{ id: string }> } }) => reply.body.leads.map((lead) => lead.id);
const feedback = (leadId: string, action: string, body: unknown) =>
  server.call('POST', `/v1/leads/${leadId}/${action}`, { key: salesKey, body });

beforeAll(async () => {
  server = await startServer();
  [ingestKey, salesKey] = await Promise.all([server.key('ingest'), server.key('sales')]);
  const reply = await server.call('POST', '/v1/events/batch', {
    key: ingestKey,
    body: {
      events: [
        ...handOff('waiting-long', 0),
        ...handOff('high-score', 600, ['document_download', 'site_visit']),
        ...handOff('just-in', 1200),
        event('browsing', 'email_open', 30),
      ],
    },
  });
  expect(reply.body.rejected).toBe(0);
});
afterAll(() => server.close());

describe('the sales queue', () => {
  it('lists leads in any of several stages, each with its hand-off time', async () => {
    const reply = await get('/v1/leads?stage=mql,sal,sql&sort=handoff');
    expect(reply.status).toBe(200);
    const byId = Object.fromEntries(reply.body.leads.map((lead: { id: string }) => [lead.id, lead]));
    expect(Object.keys(byId).sort()).toEqual(['high-score', 'just-in', 'waiting-long']);
    const { stageHistory } = (await get('/v1/leads/waiting-long')).body;
    expect(byId['waiting-long'].handedOffAt).toBe(stageHistory.find((change: { to: string }) => change.to === 'mql').at);
  });

  it('sorts by age since hand-off (longest waiting first, never handed off last) and by score', async () => {
    expect(ids(await get('/v1/leads?sort=handoff'))).toEqual(['waiting-long', 'high-score', 'just-in', 'browsing']);
    const byScore = (await get('/v1/leads?stage=mql&sort=score')).body.leads;
    expect(byScore[0].id).toBe('high-score');
    const scores = byScore.map((lead: { score: number }) => lead.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('pages a sorted list with its cursor, every lead once and in order', async () => {
    for (const sort of ['score', 'handoff']) {
      const whole = ids(await get(`/v1/leads?sort=${sort}`));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const reply: any = await get(`/v1/leads?sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...ids(reply));
        cursor = reply.body.nextCursor;
      } while (cursor);
      expect(seen, sort).toEqual(whole);
    }
  });

  it('rejects a bad sort, stage list or a cursor of another sort, naming the query parameter', async () => {
    const scoreCursor = (await get('/v1/leads?sort=score&limit=1')).body.nextCursor;
    const cases: Array<[string, string]> = [
      ['sort=oldest', 'query.sort'],
      ['stage=mql,lukewarm', 'query.stage'],
      ['stage=', 'query.stage'],
      [`sort=handoff&cursor=${scoreCursor}`, 'query.cursor'],
      // A cursor of the right sort whose value is of the wrong kind is refused, not compared with the score column.
      [`sort=score&cursor=${Buffer.from(JSON.stringify(['score', 'high', 'x'])).toString('base64url')}`, 'query.cursor'],
    ];
    for (const [query, path] of cases) {
      const reply = await get(`/v1/leads?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.type, query).toContain('application/problem+json');
      expect(reply.body.errors[0].path, query).toBe(path);
    }
  });
});

describe('the sales queue in the OpenAPI document', () => {
  it('describes the stage list, the sorts and the hand-off time', async () => {
    const openapi = (await server.call('GET', '/openapi.json')).body;
    const parameters = openapi.paths['/v1/leads'].get.parameters.map((p: { name: string }) => p.name);
    expect(parameters).toEqual(expect.arrayContaining(['stage', 'sort']));
    const sort = openapi.paths['/v1/leads'].get.parameters.find((p: { name: string }) => p.name === 'sort');
    expect(sort.schema.enum).toEqual(['updated', 'score', 'handoff']);
    expect(JSON.stringify(openapi.components.schemas.LeadPage)).toContain('handedOffAt');
    expect(openapi.paths['/v1/leads/{id}/qualify'].post).toBeDefined();
  });
});

describe('qualifying an opportunity', () => {
  it('moves an accepted lead from SAL to SQL and records the outcome; its hand-off time stays', async () => {
    const before = (await get('/v1/leads?stage=mql')).body.leads.find((lead: { id: string }) => lead.id === 'just-in');
    await feedback('just-in', 'accept', { occurredAt: '2026-03-02T10:00:00Z' });
    const reply = await feedback('just-in', 'qualify', { occurredAt: '2026-03-03T10:00:00Z', note: 'Budget confirmed' });
    expect(reply.status).toBe(201);
    expect(reply.body.lead.stage).toBe('sql');
    expect(reply.body.explanation.stageChanges).toEqual([expect.objectContaining({ transitionId: 'sales-qualified' })]);
    const { outcomes } = (await get('/v1/leads/just-in')).body;
    expect(outcomes.map((o: { kind: string }) => o.kind)).toEqual(['accepted', 'qualified']);
    const after = (await get('/v1/leads?stage=sql')).body.leads.find((lead: { id: string }) => lead.id === 'just-in');
    expect(after.handedOffAt).toBe(before.handedOffAt);
  });

  it('answers 404 for an unknown lead', async () => {
    expect((await feedback('nobody', 'qualify', {})).status).toBe(404);
  });
});

describe('follow-up time', () => {
  const PERIOD = 'from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z';

  it('counts the hours from hand-off to the accept or reject recorded through the feedback routes', async () => {
    const handedOffAt = (await get('/v1/leads?stage=mql')).body.leads.find(
      (lead: { id: string }) => lead.id === 'waiting-long',
    ).handedOffAt;
    const before = (await get(`/v1/kpis?${PERIOD}`)).body.followUp;
    const answeredAt = new Date(Date.parse(handedOffAt) + 5 * 3_600_000).toISOString();
    await feedback('waiting-long', 'reject', { reason: 'no-budget', note: 'Next year', occurredAt: answeredAt });
    const after = (await get(`/v1/kpis?${PERIOD}`)).body.followUp;
    expect(after.handOffs).toBe(before.handOffs);
    expect(after.followedUp).toBe(before.followedUp + 1);
  });

  it('does not count an answer to a later hand-off as the answer to an earlier one', () => {
    // A rule set may send an unanswered MQL back to nurture; its next hand-off's answer is not the first one's.
    const change = (seq: number, from: string | null, to: string, at: string) => ({
      leadId: 'recycled',
      seq,
      eventId: `e${seq}`,
      from,
      to,
      at,
      transitionId: null,
      reason: null,
      band: 'hot',
    });
    const changes = [
      change(0, null, 'inquiry', '2026-03-01T08:00:00.000Z'),
      change(1, 'inquiry', 'mql', '2026-03-01T09:00:00.000Z'),
      change(2, 'mql', 'nurture', '2026-03-05T09:00:00.000Z'),
      change(3, 'nurture', 'mql', '2026-03-10T09:00:00.000Z'),
    ];
    const accepted = {
      eventId: 'a',
      leadId: 'recycled',
      kind: 'accepted' as const,
      reason: null,
      note: null,
      amount: null,
      occurredAt: '2026-03-10T11:00:00.000Z',
      recordedBy: null,
      recordedAt: '2026-03-10T11:00:00.000Z',
    };
    const { followUp } = computeKpis(changes, [accepted], { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
    expect(followUp).toEqual({ handOffs: 2, followedUp: 1, medianHours: 2 });
  });
});
