import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_EVENTS } from '../../server/config';
import { event, events, startServer, type TestServer } from './helpers';

let server: TestServer;
let ingestKey: string;

beforeAll(async () => {
  server = await startServer();
  ingestKey = await server.key('ingest');
});
afterAll(() => server.close());

const post = (path: string, body: unknown) => server.call('POST', path, { key: ingestKey, body });
const lead = async (id: string) => (await server.call('GET', `/v1/leads/${id}`)).body;

describe('POST /v1/events', () => {
  it('stores the event, creates the lead and replies with its new state and explanation', async () => {
    const reply = await post('/v1/events', event('first', 'demo_request', 0));
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ eventId: 'first-demo_request-0', leadId: 'first', status: 'stored', recomputed: false });
    expect(reply.body.lead).toMatchObject({
      id: 'first',
      stage: 'inquiry',
      score: { total: 30 },
      band: 'warm',
      route: { approach: 'meeting' },
    });
    expect(reply.body.explanation.rules).toEqual([expect.objectContaining({ ruleId: 'contact-or-demo-request', points: 30 })]);
  });

  it('moves the lead through the lifecycle as events arrive', async () => {
    for (const e of events('handoff', ['demo_request', 'webinar_attended'])) await post('/v1/events', e);
    const reply = await post('/v1/events', event('handoff', 'email_click', 200));
    expect(reply.body.lead).toMatchObject({ stage: 'mql', band: 'hot', score: { total: 60 } });
    expect(reply.body.explanation.stageChanges).toEqual([
      expect.objectContaining({ from: 'inquiry', to: 'mql', transitionId: 'reached-mql-threshold' }),
    ]);
  });

  it('stores and counts an event id once: the second reply says duplicate and changes nothing', async () => {
    const e = event('idempotent', 'email_click', 0);
    const first = await post('/v1/events', e);
    const second = await post('/v1/events', e);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'duplicate', explanation: null, lead: { eventCount: 1, score: { total: 10 } } });
    expect((await lead('idempotent')).timeline).toHaveLength(1);
  });

  it('names the field of an unknown event type', async () => {
    const reply = await post('/v1/events', event('bad', 'carrier_pigeon', 0));
    expect(reply.status).toBe(400);
    expect(reply.type).toContain('application/problem+json');
    expect(reply.body).toMatchObject({
      status: 400,
      errors: [{ path: 'type', message: expect.stringContaining('unknown event type "carrier_pigeon"') }],
    });
  });

  it('names the field of a time in a wrong format', async () => {
    const reply = await post('/v1/events', { ...event('bad', 'email_open', 0), occurredAt: '01/03/2026 09:00' });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([expect.objectContaining({ path: 'occurredAt' })]);
  });

  it('names every field of the wrong type', async () => {
    const reply = await post('/v1/events', { id: 7, leadId: '', type: 'email_open', occurredAt: '2026-03-01T09:00:00Z', properties: [] });
    expect(reply.status).toBe(400);
    expect(reply.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['id', 'leadId', 'properties']);
  });

  it('rejects fields the event format does not have', async () => {
    const reply = await post('/v1/events', { ...event('bad', 'email_open', 0), score: 100 });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].message).toContain('score');
  });

  it('rejects invalid JSON with the parser message', async () => {
    const reply = await server.call('POST', '/v1/events', { key: ingestKey, raw: '{"id": "x",' });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ type: '/problems/invalid-json', errors: [{ path: '' }] });
  });

  it('rejects a body that is not JSON', async () => {
    const reply = await server.call('POST', '/v1/events', {
      key: ingestKey,
      raw: 'id=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(reply.status).toBe(415);
    expect(reply.body.errors[0].path).toBe('headers.content-type');
  });

  it('rejects a body over the size limit', async () => {
    const reply = await post('/v1/events', { ...event('big', 'email_open', 0), properties: { blob: 'x'.repeat(1_100_000) } });
    expect(reply.status).toBe(413);
    expect(reply.body.type).toBe('/problems/body-too-large');
    expect((await server.call('GET', '/v1/leads/big')).status).toBe(404);
  });

  it('changes nothing stored when it rejects a request', async () => {
    await post('/v1/events', event('untouched', 'email_click', 0));
    const before = await lead('untouched');
    await post('/v1/events', { ...event('untouched', 'email_click', 5), type: 'nope' });
    await post('/v1/events', { ...event('untouched', 'email_click', 6), occurredAt: 'yesterday' });
    expect(await lead('untouched')).toEqual(before);
  });
});

describe('POST /v1/events/batch', () => {
  it('stores the good events and reports each bad one by index', async () => {
    const batch = [
      event('b1', 'email_open', 0),
      { ...event('b1', 'email_open', 1), type: 'telepathy' },
      event('b2', 'email_click', 0),
      { ...event('b2', 'email_click', 1), occurredAt: 'soon' },
    ];
    const reply = await post('/v1/events/batch', { events: batch });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ received: 4, stored: 2, duplicates: 0, rejected: 2 });
    expect(reply.body.results.map((r: { index: number }) => r.index)).toEqual([0, 2]);
    expect(reply.body.errors).toEqual([
      expect.objectContaining({ path: 'events[1].type' }),
      expect.objectContaining({ path: 'events[3].occurredAt' }),
    ]);
    expect((await lead('b1')).lead.eventCount).toBe(1);
    expect((await lead('b2')).lead.eventCount).toBe(1);
  });

  it('counts duplicates inside a batch and against stored events once', async () => {
    const e = event('b3', 'email_click', 0);
    await post('/v1/events', e);
    const reply = await post('/v1/events/batch', { events: [e, event('b3', 'email_open', 1), event('b3', 'email_open', 1)] });
    expect(reply.body).toMatchObject({ stored: 1, duplicates: 2 });
    expect((await lead('b3')).lead.eventCount).toBe(2);
  });

  it('fails as a whole when no event is valid, storing nothing', async () => {
    const reply = await post('/v1/events/batch', { events: [{ ...event('b4', 'email_open', 0), type: 'x' }] });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('events[0].type');
    expect((await server.call('GET', '/v1/leads/b4')).status).toBe(404);
  });

  it(`rejects more than ${MAX_BATCH_EVENTS} events`, async () => {
    const tooMany = Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, i) => ({
      id: `m${i}`,
      leadId: 'm',
      type: 'tick',
      occurredAt: '2026-03-01T09:00:00Z',
    }));
    expect(JSON.stringify({ events: tooMany }).length).toBeLessThan(MAX_BATCH_BODY_BYTES);
    const reply = await post('/v1/events/batch', { events: tooMany });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0]).toMatchObject({ path: 'events', message: expect.stringContaining(String(MAX_BATCH_EVENTS)) });
    expect((await server.call('GET', '/v1/leads/m')).status).toBe(404);
  });

  it('rejects a batch that is not an object with events', async () => {
    const reply = await post('/v1/events/batch', [event('b5', 'email_open', 0)]);
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('');
  });
});
