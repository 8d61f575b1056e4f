import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, queryRows, startServer, type TestServer } from './helpers';

let server: TestServer;
let salesKey: string;
let ingestKey: string;

/** A lead handed to sales (MQL) on 2026-03-01. */
async function handedOff(leadId: string): Promise<void> {
  await server.call('POST', '/v1/events/batch', {
    key: ingestKey,
    body: { events: events(leadId, ['demo_request', 'webinar_attended', 'email_click']) },
  });
}

const feedback = (leadId: string, action: string, body: unknown) =>
  server.call('POST', `/v1/leads/${leadId}/${action}`, { key: salesKey, body });

beforeAll(async () => {
  server = await startServer();
  [salesKey, ingestKey] = await Promise.all([server.key('sales'), server.key('ingest')]);
});
afterAll(() => server.close());

describe('sales feedback', () => {
  it('accepting a hand-off moves the lead to SAL and records the outcome', async () => {
    await handedOff('acc');
    const reply = await feedback('acc', 'accept', { occurredAt: '2026-03-02T10:00:00Z', note: 'Called, interested' });
    expect(reply.status).toBe(201);
    expect(reply.body.lead.stage).toBe('sal');
    expect(reply.body.explanation.stageChanges).toEqual([expect.objectContaining({ transitionId: 'sales-accepted' })]);
    const { outcomes } = (await server.call('GET', '/v1/leads/acc', { key: salesKey })).body;
    expect(outcomes).toEqual([expect.objectContaining({ kind: 'accepted', note: 'Called, interested', recordedBy: 'sales key' })]);
  });

  it('rejecting a hand-off needs a reason from the list and recycles the lead to nurture', async () => {
    await handedOff('rej');
    const bad = await feedback('rej', 'reject', { reason: 'did not like the logo' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('reason');
    const reply = await feedback('rej', 'reject', { reason: 'no-budget', note: 'Next fiscal year', occurredAt: '2026-03-02T10:00:00Z' });
    expect(reply.body.lead.stage).toBe('nurture');
    const { outcomes, stageHistory } = (await server.call('GET', '/v1/leads/rej', { key: salesKey })).body;
    expect(outcomes).toEqual([expect.objectContaining({ kind: 'rejected', reason: 'no-budget', note: 'Next fiscal year' })]);
    expect(stageHistory.at(-1)).toMatchObject({ to: 'nurture', transitionId: 'sales-rejected', reason: 'no-budget' });
  });

  it('a won deal after qualification records the amount and makes the lead a customer', async () => {
    await handedOff('win');
    await feedback('win', 'accept', { occurredAt: '2026-03-02T10:00:00Z' });
    await server.call('POST', '/v1/events', {
      key: ingestKey,
      body: { id: 'win-q', leadId: 'win', type: 'sales_qualified', occurredAt: '2026-03-05T10:00:00Z' },
    });
    const reply = await feedback('win', 'won', { amount: 48_000, occurredAt: '2026-04-01T10:00:00Z' });
    expect(reply.body.lead).toMatchObject({ stage: 'won', customer: true });
    const rows = await queryRows(server, "select kind, amount from outcomes where lead_id = 'win' order by occurred_at");
    expect(rows).toEqual([
      { kind: 'accepted', amount: null },
      { kind: 'qualified', amount: null },
      { kind: 'won', amount: 48_000 },
    ]);
  });

  it('a lost deal needs a reason from the list; amount is optional', async () => {
    await handedOff('loss');
    await feedback('loss', 'accept', { occurredAt: '2026-03-02T10:00:00Z' });
    expect((await feedback('loss', 'lost', { amount: -5, reason: 'price' })).body.errors[0].path).toBe('amount');
    const reply = await feedback('loss', 'lost', { reason: 'competitor', occurredAt: '2026-03-03T10:00:00Z' });
    expect(reply.body.lead.stage).toBe('lost');
  });

  it('a won deal needs an amount', async () => {
    await handedOff('noamount');
    const reply = await feedback('noamount', 'won', {});
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('amount');
  });

  it('answers 404 for an unknown lead and records nothing', async () => {
    const reply = await feedback('ghost', 'accept', {});
    expect(reply.status).toBe(404);
    expect((await server.call('GET', '/v1/leads/ghost', { key: salesKey })).status).toBe(404);
  });

  it('the same feedback event id is recorded once', async () => {
    await handedOff('twice');
    const body = { eventId: 'accept-twice', occurredAt: '2026-03-02T10:00:00Z' };
    expect((await feedback('twice', 'accept', body)).status).toBe(201);
    const again = await feedback('twice', 'accept', body);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('duplicate');
    expect((await server.call('GET', '/v1/leads/twice', { key: salesKey })).body.outcomes).toHaveLength(1);
  });
});

describe('GET /v1/kpis', () => {
  it('reports the funnel, conversions, win rate and follow-up time of the leads above', async () => {
    const { status, body } = await server.call('GET', '/v1/kpis?from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z', { key: salesKey });
    expect(status).toBe(200);
    expect(body.funnel).toMatchObject({ inquiry: 6, mql: 6, sal: 4, sql: 1, won: 1, lost: 1, nurture: 1 });
    expect(body.conversion['mql->sal']).toEqual({ count: 6, converted: 4, rate: 0.6667 });
    expect(body.opportunityToClose).toEqual({ count: 1, converted: 1, rate: 1 });
    expect(body.hotLeadConversion).toEqual({ count: 6, converted: 1, rate: 0.1667 });
    // Hand-off at 11:00 on 2026-03-01, accepted or rejected at 10:00 the next day for five leads; one got no feedback.
    expect(body.followUp).toEqual({ handOffs: 6, followedUp: 5, medianHours: 23 });
    expect(body.definitions.followUp).toContain('Hours');
  });

  it('rejects a period that ends before it starts', async () => {
    const reply = await server.call('GET', '/v1/kpis?from=2026-05-01T00:00:00Z&to=2026-03-01T00:00:00Z', { key: salesKey });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('query.to');
  });
});
