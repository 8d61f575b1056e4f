import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateBatch, loadRuleSetOrThrow, leadEventSchema, type LeadEventInput } from '../../engine/index';
import { ROOT, event, shuffled, startServer, type TestServer } from './helpers';

const ruleSet = loadRuleSetOrThrow(readFileSync(join(ROOT, 'rules/v1.json'), 'utf8'));

let server: TestServer;
let ingestKey: string;

beforeAll(async () => {
  server = await startServer();
  ingestKey = await server.key('ingest');
});
afterAll(() => server.close());

const post = (path: string, body: unknown) => server.call('POST', path, { key: ingestKey, body });

/** A lead's history over three months: enough for decay, caps, hand-off and dormancy to depend on order. */
function history(leadId: string): LeadEventInput[] {
  const day = 24 * 60;
  return [
    event(leadId, 'lead_updated', 0, { properties: { role: 'director', companySize: 250 } }),
    event(leadId, 'site_visit', 10),
    event(leadId, 'site_visit', day),
    event(leadId, 'site_visit', 2 * day),
    event(leadId, 'email_click', 3 * day),
    event(leadId, 'site_visit', 40 * day),
    event(leadId, 'webinar_attended', 41 * day, { properties: { title: 'Scoring', question: 'How?' } }),
    event(leadId, 'demo_request', 42 * day),
    event(leadId, 'email_open', 42 * day),
    event(leadId, 'email_open', 150 * day),
  ];
}

/** The state in-order arrival gives: the engine folding the events in time order. */
function inOrderState(list: LeadEventInput[]) {
  const parsed = list
    .map((e) => leadEventSchema.parse(e))
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
  return evaluateBatch(ruleSet, parsed).get(parsed[0]!.leadId)!;
}

describe('late events', () => {
  it('places a late event in time order and recomputes the lead: the same state as in-order arrival', async () => {
    const list = history('late-one');
    const late = list.splice(4, 1)[0]!;
    for (const e of list) await post('/v1/events', e);
    const reply = await post('/v1/events', late);
    expect(reply.body.recomputed).toBe(true);
    const expected = inOrderState([...list, late]);
    const stored = (await server.call('GET', '/v1/leads/late-one')).body;
    expect(stored.lead).toMatchObject({
      stage: expected.stage,
      score: expected.score,
      band: expected.band,
      eventCount: expected.eventCount,
      asOf: expected.asOf,
    });
    expect(stored.stageHistory).toEqual(expected.stageHistory);
  });

  it('gives the same lead and timeline for any arrival order', async () => {
    const ordered = history('ordered');
    await post('/v1/events/batch', { events: ordered });
    for (const seed of [3, 11]) {
      const leadId = `arrival-${seed}`;
      for (const e of shuffled(history(leadId), seed)) await post('/v1/events', e);
      const [a, b] = await Promise.all([server.call('GET', '/v1/leads/ordered'), server.call('GET', `/v1/leads/${leadId}`)]);
      const strip = (body: any) =>
        JSON.parse(
          JSON.stringify({
            lead: { ...body.lead, id: undefined },
            timeline: body.timeline.map((t: any) => ({ ...t, receivedAt: undefined })),
            stageHistory: body.stageHistory,
          }).replaceAll(leadId, 'ordered'),
        );
      expect(strip(b.body)).toEqual(strip(a.body));
    }
  });

  it('places an event at the same time as the newest by id, as the recomputation does', async () => {
    const first = event('tie', 'email_open', 0, { id: 'tie-b' });
    const second = event('tie', 'email_click', 0, { id: 'tie-a' });
    await post('/v1/events', first);
    const reply = await post('/v1/events', second);
    expect(reply.body.recomputed).toBe(true);
    const timeline = (await server.call('GET', '/v1/leads/tie')).body.timeline;
    expect(timeline.map((t: { eventId: string }) => t.eventId)).toEqual(['tie-a', 'tie-b']);
  });
});

describe('concurrent events for one lead', () => {
  it('applies every event exactly once, in time order, whatever the interleaving', async () => {
    const list = Array.from({ length: 120 }, (_, i) => event('busy', i % 3 === 0 ? 'email_click' : 'email_open', i * 30));
    const replies = await Promise.all(shuffled(list, 5).map((e) => post('/v1/events', e)));
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const expected = inOrderState(list);
    const stored = (await server.call('GET', '/v1/leads/busy')).body;
    expect(stored.lead).toMatchObject({ eventCount: 120, score: expected.score, stage: expected.stage });
    expect(stored.timeline).toHaveLength(120);
  });

  it('keeps different leads apart when their events interleave', async () => {
    const leads = ['p1', 'p2', 'p3', 'p4'];
    const list = leads.flatMap((id) => Array.from({ length: 25 }, (_, i) => event(id, 'email_click', i * 10)));
    await Promise.all(shuffled(list, 9).map((e) => post('/v1/events', e)));
    for (const id of leads) {
      const stored = (await server.call('GET', `/v1/leads/${id}`)).body.lead;
      expect(stored.eventCount).toBe(25);
      expect(stored.score).toEqual(inOrderState(list.filter((e) => e.leadId === id)).score);
    }
  });
});
