import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, event, startServer, type TestServer } from './helpers';

let server: TestServer;
let salesKey: string;
let editorKey: string;
let ingestKey: string;

const MINUTES_PER_DAY = 24 * 60;
const HOUR = 60;
/** Days after the fixtures' start (2026-03-01T09:00Z), in minutes, as {@link event} counts time. */
const day = (days: number) => days * MINUTES_PER_DAY;
/** The same instant as an ISO time, for feedback: the time {@link event} gives. */
const dayTime = (days: number) => event('any', 'any', day(days)).occurredAt;
const PERIOD = 'from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z';

const send = (...sent: ReturnType<typeof event>[]) =>
  server.call('POST', '/v1/events/batch', { key: ingestKey, body: { events: sent } }).then((reply) => {
    if (reply.status !== 200 || reply.body.rejected > 0) throw new Error(`events refused: ${reply.text}`);
  });
const feedback = (leadId: string, action: 'accept' | 'won', days: number, extra: Record<string, unknown> = {}) =>
  server.call('POST', `/v1/leads/${leadId}/${action}`, { key: salesKey, body: { occurredAt: dayTime(days), ...extra } }).then((reply) => {
    if (reply.status !== 201) throw new Error(`feedback refused: ${reply.text}`);
  });
const challengerKpis = (key = salesKey, period = PERIOD) => server.call('GET', `/v1/kpis/challenger?${period}`, { key });

/** v1 handing off at 30 instead of 60 and calling a lead hot from 30 instead of 60, saved as the next version. */
async function earlierHandOffVersion(): Promise<string> {
  const v1 = JSON.parse(readFileSync(join(server.rulesDir, 'v1.json'), 'utf8'));
  const { version: _version, createdAt: _createdAt, author: _author, parent: _parent, ...rules } = v1;
  rules.note = 'Hand off at 30, hot from 30';
  rules.lifecycle.thresholds.mql = 30;
  rules.bands = { hot: 30, warm: 15 };
  const reply = await server.call('POST', '/v1/rulesets', { key: editorKey, body: rules });
  if (reply.status !== 201) throw new Error(`saving the version failed: ${reply.text}`);
  return reply.body.version as string;
}

beforeAll(async () => {
  server = await startServer();
  [salesKey, editorKey, ingestKey] = await Promise.all([server.key('sales'), server.key('editor'), server.key('ingest')]);
});
afterAll(() => server.close());

describe('GET /v1/kpis/challenger without a challenger', () => {
  it('names no challenger and gives no figures', async () => {
    const { status, body } = await challengerKpis();
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: null, activeVersion: 'v1', leadsEvaluated: 0, challenger: null, active: null });
  });
});

describe('GET /v1/kpis/challenger before the challenger has seen an event', () => {
  beforeAll(async () => {
    // Two leads before the challenger is set: "older" gets another event later, "unseen" never does.
    await send(event('older', 'email_click', 0), event('unseen', 'demo_request', 0), event('unseen', 'contact_request', HOUR));
    const version = await earlierHandOffVersion();
    const set = await server.call('PUT', '/v1/rulesets/challenger', { key: editorKey, body: { version } });
    if (set.status !== 200) throw new Error(`setting the challenger failed: ${set.text}`);
  });

  it('counts no evaluated lead: leads older than the challenger wait for their next event', async () => {
    const { body } = await challengerKpis();
    expect(body).toMatchObject({ version: 'v2', activeVersion: 'v1', leadsEvaluated: 0, leadsTotal: 2 });
    expect(Object.values(body.challenger.funnel).every((n) => n === 0)).toBe(true);
  });
});

/*
 * Active v1 hands off at 60 and calls a lead hot from 60; challenger v2 does both at 30.
 * - "quick": click (10) on day 0, demo request (+30) on day 2, accepted on day 5. v2: MQL on day 2 (hot), SAL on day 5. v1: stays an inquiry.
 * - "winner": demo request (30), contact request (60) an hour later, webinar (80) an hour after that, all on day 1; accepted day 3,
 *   qualified day 4, won day 10. v2: MQL at the demo request (hot). v1: MQL at the contact request (hot).
 * - "older": click on day 0 before the challenger was set, demo request on day 1 after: v2 folds its whole history, MQL on day 1 (hot).
 * - "unseen": handed off by v1 before the challenger was set, no event since: neither column counts it.
 */
describe('GET /v1/kpis/challenger with a challenger that hands off at a lower score', () => {
  beforeAll(async () => {
    await send(
      event('quick', 'email_click', 0),
      event('quick', 'demo_request', day(2)),
      event('winner', 'demo_request', day(1)),
      event('winner', 'contact_request', day(1) + HOUR),
      event('winner', 'webinar_attended', day(1) + 2 * HOUR),
      event('older', 'demo_request', day(1)),
    );
    await feedback('quick', 'accept', 5);
    await feedback('winner', 'accept', 3);
    await send(event('winner', 'sales_qualified', day(4)));
    await feedback('winner', 'won', 10, { amount: 12_000 });
  });

  it('counts the leads the challenger has evaluated, out of every lead', async () => {
    const { body } = await challengerKpis();
    expect(body).toMatchObject({ version: 'v2', activeVersion: 'v1', leadsEvaluated: 3, leadsTotal: 4 });
  });

  it('gives the challenger’s funnel from its own stage histories', async () => {
    const { challenger } = (await challengerKpis()).body;
    expect(challenger.funnel).toMatchObject({ inquiry: 3, mql: 3, sal: 2, sql: 1, won: 1, lost: 0, nurture: 0, dormant: 0 });
    expect(challenger.conversion['inquiry->mql']).toEqual({ count: 3, converted: 3, rate: 1 });
  });

  it('gives the active version’s funnel over the same leads only', async () => {
    const { active } = (await challengerKpis()).body;
    expect(active.funnel).toMatchObject({ inquiry: 3, mql: 1, sal: 1, sql: 1, won: 1 });
    expect(active.conversion['inquiry->mql']).toEqual({ count: 3, converted: 1, rate: 0.3333 });
    // Every lead, for contrast: "unseen" was handed off too.
    const all = (await server.call('GET', `/v1/kpis?${PERIOD}`, { key: salesKey })).body;
    expect(all.funnel.mql).toBe(2);
  });

  it('gives the median days in each stage as the challenger moved the leads', async () => {
    const { challenger, active } = (await challengerKpis()).body;
    // v2 inquiry stays: quick 2 days, winner 0 (handed off by its first event), older 1. MQL: quick 3, winner 2. SAL: winner 1. SQL: winner 6.
    expect(challenger.medianDaysInStage).toMatchObject({ inquiry: 1, mql: 2.5, sal: 1, sql: 6, won: null });
    // v1 inquiry stays: winner one hour (1/24 day); the others never left. MQL: winner 1 day 23 hours.
    expect(active.medianDaysInStage).toMatchObject({ inquiry: 0.04, mql: 1.96, sal: 1, sql: 6, won: null });
  });

  it('takes the band at each hand-off from the challenger’s own results', async () => {
    const { challenger, active } = (await challengerKpis()).body;
    // v2 handed all three off while hot by its own bands (from 30), and won one; v1 handed off only "winner" (hot at 60).
    expect(challenger.hotLeadConversion).toEqual({ count: 3, converted: 1, rate: 0.3333 });
    expect(active.hotLeadConversion).toEqual({ count: 1, converted: 1, rate: 1 });
    expect(challenger.opportunityToClose).toEqual({ count: 1, converted: 1, rate: 1 });
  });

  it('measures follow-up from the challenger’s hand-offs to the same sales feedback', async () => {
    const { challenger, active } = (await challengerKpis()).body;
    // v2: quick handed off day 2, accepted day 5 (72 h); winner handed off day 1, accepted day 3 (48 h); older never answered.
    expect(challenger.followUp).toEqual({ handOffs: 3, followedUp: 2, medianHours: 60 });
    expect(active.followUp).toEqual({ handOffs: 1, followedUp: 1, medianHours: 47 });
  });

  it('leaves out what happened after the period', async () => {
    const { challenger } = (await challengerKpis(salesKey, 'from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z')).body;
    expect(challenger.funnel).toMatchObject({ inquiry: 3, mql: 3, sal: 0, won: 0 });
    expect(challenger.medianDaysInStage).toMatchObject({ inquiry: 1, mql: null });
  });

  it('rejects a period that ends before it starts', async () => {
    const reply = await challengerKpis(salesKey, 'from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('query.to');
  });
});

describe('GET /v1/kpis/challenger in the API description', () => {
  it('is documented with its roles and reply shape', async () => {
    const { body } = await server.call('GET', '/openapi.json', { key: null });
    const operation = body.paths['/v1/kpis/challenger'].get;
    expect(operation.security).toEqual([{ bearer: [] }]);
    expect(operation.responses['403'].description).toContain('sales, editor, admin');
    expect(body.components.schemas.ChallengerKpis.required).toEqual(
      expect.arrayContaining(['version', 'leadsEvaluated', 'challenger', 'active']),
    );
  });
});

describe('who may read the challenger’s KPIs', () => {
  it('lets sales, editors and admins read them', async () => {
    for (const key of [salesKey, editorKey, ADMIN_KEY]) expect((await challengerKpis(key)).status).toBe(200);
  });

  it('refuses an ingest key with 403 and a request without a key with 401', async () => {
    expect((await challengerKpis(ingestKey)).status).toBe(403);
    const anonymous = await server.call('GET', `/v1/kpis/challenger?${PERIOD}`, { key: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.type).toContain('application/problem+json');
  });
});
