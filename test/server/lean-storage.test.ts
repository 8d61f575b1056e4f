/**
 * Lean writes: an event row keeps the event and the version that evaluated
 * it; explanations, the timeline, stage history and recent activity are
 * derived on read (server/lead-derivation.ts). These tests hold the derived
 * answers to what was computed when the events were evaluated, through
 * activations and late events, and read a database written before lean
 * writes (explanations and full states stored) as it was.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyEvent,
  handOffSummary,
  loadRuleSetOrThrow,
  type CompiledRuleSet,
  type Explanation,
  type LeadEvent,
  type LeadState,
} from '../../engine/index';
import { DerivedLeads } from '../../server/lead-derivation';
import { compareHistory, pointsOf } from '../../server/lead-history';
import type { StoredEventResult } from '../../server/store/index';
import { openDialect } from '../../server/store/dialect';
import { STATE_COLUMNS, decodeState, type StateColumns } from '../../server/store/lead-state';
import { migrationProvider } from '../../server/store/migrations';
import { ROOT, event, execute, queryRows, removeWorkspace, startServer, tempWorkspace, type TestServer, type Workspace } from './helpers';

const TYPES = ['email_open', 'email_click', 'site_visit', 'document_download', 'webinar_attended', 'demo_request', 'contact_request'];
const BASE = Date.parse('2026-02-01T09:00:00Z');
const HOUR = 3_600_000;

/** A small seeded generator (mulberry32), so a failure can be run again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What the server is expected to answer for a lead: its events folded in history order, each under the version that evaluated it. */
function expectedLead(applied: ReadonlyArray<{ event: LeadEvent; ruleSet: CompiledRuleSet }>) {
  let state: LeadState | null = null;
  const explanations = new Map<string, Explanation>();
  const stages = new Map<string, string>();
  for (const { event, ruleSet } of [...applied].sort((a, b) => compareHistory(a.event, b.event))) {
    const result = applyEvent(ruleSet, state, event);
    state = result.state;
    explanations.set(event.id, result.explanation);
    stages.set(event.id, state.stage);
  }
  return { state: state!, explanations, stages };
}

interface TimelineEntry {
  eventId: string;
  points: number | null;
  scoreBefore: number | null;
  scoreAfter: number | null;
  stageAfter: string | null;
  rules: unknown[];
  stageChanges: unknown[];
  notes: unknown[];
}

/** Holds a lead's whole reply (GET /v1/leads/{id} and its hand-off summary) to the expected fold. */
async function expectLeadAnswers(server: TestServer, key: string, leadId: string, expected: ReturnType<typeof expectedLead>) {
  const detail = await server.call('GET', `/v1/leads/${leadId}`, { key });
  expect(detail.status).toBe(200);
  const { state, explanations, stages } = expected;
  expect(detail.body.lead).toMatchObject({ stage: state.stage, band: state.band, score: state.score, eventCount: state.eventCount });
  expect(detail.body.stageHistory).toEqual(state.stageHistory);
  const newest = detail.body.timeline.at(-1) as TimelineEntry;
  expect(detail.body.explanation, leadId).toEqual(explanations.get(newest.eventId));
  for (const entry of detail.body.timeline as TimelineEntry[]) {
    const explanation = explanations.get(entry.eventId)!;
    expect(entry, entry.eventId).toMatchObject({
      points: pointsOf(explanation),
      scoreBefore: explanation.score.before.total,
      scoreAfter: explanation.score.after.total,
      stageAfter: stages.get(entry.eventId),
      rules: explanation.rules,
      stageChanges: explanation.stageChanges,
      notes: explanation.notes,
    });
  }
  const handOff = await server.call('GET', `/v1/leads/${leadId}/handoff`, { key });
  expect(handOff.body).toEqual(JSON.parse(JSON.stringify(handOffSummary(state))));
}

describe('explanations derived on read', () => {
  let server: TestServer;
  let keys: { ingest: string; sales: string; editor: string };

  beforeAll(async () => {
    server = await startServer();
    keys = { ingest: await server.key('ingest'), sales: await server.key('sales'), editor: await server.key('editor') };
  });
  afterAll(() => server.close());

  it('are those computed when each event was evaluated, through activations and late events', async () => {
    const v1 = (await server.call('GET', '/v1/rulesets/v1')).body.definition;
    const { version: _v, createdAt: _c, author: _a, parent: _p, ...rest } = v1;
    // v2 gives other points for clicks and visits, so which version evaluated an event shows in its explanation.
    const scoring = rest.scoring.map((rule: { id: string; points: number }) =>
      rule.id === 'email-click' || rule.id === 'repeated-site-visit' ? { ...rule, points: rule.points * 3 } : rule,
    );
    const created = await server.call('POST', '/v1/rulesets', { body: { ...rest, scoring } });
    expect(created.status, created.text).toBe(201);
    const v2 = created.body.version as string;
    for (const [team, key] of [
      ['marketing', keys.editor],
      ['sales', keys.sales],
    ] as const) {
      expect((await server.call('POST', `/v1/rulesets/${v2}/approvals`, { key, body: { team } })).status).toBe(201);
    }
    const ruleSets = new Map(
      ['v1', v2].map((version) => [version, loadRuleSetOrThrow(readFileSync(join(server.rulesDir, `${version}.json`), 'utf8'))]),
    );

    const next = random(20_261_202);
    const leads = Array.from({ length: 6 }, (_, i) => `derived-${i}`);
    /** Per lead, each stored event with the version now recorded for it. */
    const applied = new Map<string, Array<{ event: LeadEvent; ruleSet: CompiledRuleSet }>>(leads.map((id) => [id, []]));
    let active = 'v1';
    let late = 0;
    for (let n = 0; n < 150; n++) {
      if (n === 50 || n === 110) {
        active = n === 50 ? v2 : 'v1';
        expect((await server.call('POST', `/v1/rulesets/${active}/activate`)).status).toBe(200);
      }
      const leadId = leads[Math.floor(next() * leads.length)]!;
      const history = applied.get(leadId)!;
      const newest = history.reduce((max, { event }) => Math.max(max, Date.parse(event.occurredAt)), BASE);
      // One event in five arrives late: dated before the lead's newest one.
      const isLate = history.length > 2 && next() < 0.2;
      const at = isLate ? newest - Math.floor(next() * 20 + 1) * HOUR : newest + Math.floor(next() * 72 + 1) * HOUR;
      const event: LeadEvent = {
        id: `e${n}`,
        leadId,
        type: TYPES[Math.floor(next() * TYPES.length)]!,
        occurredAt: new Date(at).toISOString(),
        properties: {},
      };
      const reply = await server.call('POST', '/v1/events', { key: keys.ingest, body: event });
      expect(reply.status, reply.text).toBe(201);
      const ruleSet = ruleSets.get(active)!;
      if (reply.body.recomputed) {
        // A late event: the server folded the lead's whole history again under the active version.
        late++;
        for (const item of history) item.ruleSet = ruleSet;
      }
      history.push({ event, ruleSet });
      // The explanation in the reply is the one the lead's timeline shows from now on, unless a later late event changes it.
      expect(reply.body.explanation, event.id).toEqual(expectedLead(history).explanations.get(event.id));
    }
    expect(late).toBeGreaterThan(5);
    for (const leadId of leads) await expectLeadAnswers(server, keys.sales, leadId, expectedLead(applied.get(leadId)!));

    // Nothing of it is stored: event rows keep the version, the lead rows no histories.
    const stored = await queryRows<{ n: number; versions: number }>(
      server,
      "select count(*) as n, count(distinct rule_set_version) as versions from events where explanation is null and points is null and lead_id like 'derived-%'",
    );
    expect(Number(stored[0]!.n)).toBe(150);
    expect(Number(stored[0]!.versions)).toBe(2);
    const states = await queryRows<{ state: string }>(server, "select state from leads where id like 'derived-%'");
    for (const { state } of states) expect(Object.keys(JSON.parse(state))).not.toContain('recentActivity');
  });
});

describe('a database written before lean writes', () => {
  let workspace: Workspace;
  afterAll(() => removeWorkspace(workspace));

  /** Rows as versions before 0015 wrote them: each event with its explanation, the lead's full state. */
  async function writeLegacyRows(db: Kysely<any>, ruleSet: CompiledRuleSet, events: LeadEvent[]): Promise<LeadState> {
    let state: LeadState | null = null;
    const receivedAt = '2026-03-01T00:00:00.000Z';
    for (const event of events) {
      const result = applyEvent(ruleSet, state, event);
      state = result.state;
      await db
        .insertInto('events')
        .values({
          id: event.id,
          lead_id: event.leadId,
          type: event.type,
          occurred_at: event.occurredAt,
          properties: JSON.stringify(event.properties),
          received_at: receivedAt,
          points: pointsOf(result.explanation),
          score_after: result.explanation.score.after.total,
          stage_after: state.stage,
          explanation: JSON.stringify(result.explanation),
        })
        .execute();
    }
    const last = events.at(-1)!;
    await db
      .insertInto('leads')
      .values({
        id: state!.leadId,
        stage: state!.stage,
        band: state!.band,
        score: state!.score.total,
        owner: null,
        queue: state!.route.queue,
        rule_set_version: state!.ruleSetVersion,
        last_event_at: last.occurredAt,
        last_event_id: last.id,
        event_count: state!.eventCount,
        created_at: receivedAt,
        updated_at: receivedAt,
        state: JSON.stringify(state),
      })
      .execute();
    for (const [seq, change] of state!.stageHistory.entries()) {
      await db
        .insertInto('stage_changes')
        .values({
          lead_id: state!.leadId,
          seq,
          event_id: change.eventId,
          from_stage: change.from,
          to_stage: change.to,
          at: change.at,
          transition_id: change.transitionId,
          reason: change.reason ?? null,
          band: null,
        })
        .execute();
    }
    return state!;
  }

  it('is migrated, and its stored explanations and states are read as they were; a late event then derives them', async () => {
    workspace = await tempWorkspace();
    const opened = openDialect(workspace.db);
    const db = new Kysely<any>({ dialect: opened.dialect });
    const ruleSet = loadRuleSetOrThrow(readFileSync(join(workspace.rulesDir, 'v1.json'), 'utf8'));
    const types = ['email_open', 'webinar_attended', 'email_click', 'site_visit', 'demo_request', 'document_download', 'email_open'];
    const events: LeadEvent[] = types.map((type, i) => ({
      id: `old-${i}`,
      leadId: 'old-lead',
      type,
      occurredAt: new Date(BASE + i * 30 * HOUR).toISOString(),
      properties: type === 'webinar_attended' ? { question: 'Does it route by region?' } : {},
    }));
    try {
      const migrated = await new Migrator({ db, provider: migrationProvider(opened.name) }).migrateTo('0014_webhook_stage_filter');
      expect(migrated.error).toBeUndefined();
      await writeLegacyRows(db, ruleSet, events);
    } finally {
      await db.destroy();
      await opened.ended?.();
    }

    const server = await startServer({ workspace, keep: true });
    try {
      const [sales, ingest] = [await server.key('sales'), await server.key('ingest')];
      const applied = events.map((event) => ({ event, ruleSet }));
      await expectLeadAnswers(server, sales, 'old-lead', expectedLead(applied));
      const legacy = await queryRows<{ n: number }>(workspace, 'select count(*) as n from events where explanation is not null');
      expect(Number(legacy[0]!.n)).toBe(events.length);

      // A new event continues from the stored full state; its row is lean.
      const fresh: LeadEvent = {
        id: 'new-0',
        leadId: 'old-lead',
        type: 'email_click',
        occurredAt: '2026-02-20T09:00:00.000Z',
        properties: {},
      };
      expect((await server.call('POST', '/v1/events', { key: ingest, body: fresh })).status).toBe(201);
      applied.push({ event: fresh, ruleSet });
      await expectLeadAnswers(server, sales, 'old-lead', expectedLead(applied));
      // The stored state now leaves its histories out and counts its stage changes, the next one's position.
      const [row] = await queryRows<StateColumns>(workspace, `select ${STATE_COLUMNS.join(', ')} from leads`);
      expect(Object.keys(JSON.parse(row!.state))).not.toContain('stageHistory');
      expect(decodeState(row!).stageCount).toBe(expectedLead(applied).state.stageHistory.length);

      // A late one recomputes the lead: every row is written again without its explanation, and answers stay the same as a fold.
      const lateEvent: LeadEvent = { ...fresh, id: 'late-0', type: 'contact_request', occurredAt: '2026-02-02T10:00:00.000Z' };
      const reply = await server.call('POST', '/v1/events', { key: ingest, body: lateEvent });
      expect(reply.body.recomputed).toBe(true);
      applied.push({ event: lateEvent, ruleSet });
      await expectLeadAnswers(server, sales, 'old-lead', expectedLead(applied));
      const left = await queryRows<{ n: number }>(workspace, 'select count(*) as n from events where explanation is not null');
      expect(Number(left[0]!.n)).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('derived histories kept per lead revision', () => {
  const ruleSet = loadRuleSetOrThrow(readFileSync(join(ROOT, 'rules/v1.json'), 'utf8'));
  const stored = (id: string, minutes: number): StoredEventResult => ({
    event: { id, leadId: 'kept', type: 'email_click', occurredAt: new Date(BASE + minutes * 60_000).toISOString(), properties: {} },
    receivedAt: '2026-03-01T00:00:00.000Z',
    version: 'v1',
    explanation: null,
  });
  const first = [stored('a', 0), stored('b', 60)];
  const second = [...first, stored('c', 120)];
  const row = (events: StoredEventResult[], revision: string | null) => ({
    state: expectedLead(events.map(({ event }) => ({ event, ruleSet }))).state,
    revision,
    lastEventId: events.at(-1)!.event.id,
  });

  it('folds a lead again only when its row holds another revision', async () => {
    const kept = new DerivedLeads(2);
    let loads = 0;
    const load = (events: StoredEventResult[]) => async () => (loads++, events);
    const ruleSetOf = async () => ruleSet;
    const once = await kept.get(row(first, 'r1'), load(first), ruleSetOf);
    expect(once.derived.events.map((e) => e.explanation?.eventId)).toEqual(['a', 'b']);
    expect(await kept.get(row(first, 'r1'), load(first), ruleSetOf)).toBe(once);
    expect(loads).toBe(1);
    const after = await kept.get(row(second, 'r2'), load(second), ruleSetOf);
    expect(after.derived.events.map((e) => e.explanation?.eventId)).toEqual(['a', 'b', 'c']);
    expect(loads).toBe(2);
    // A row without a revision (written before revisions) is never kept.
    await kept.get(row(first, null), load(first), ruleSetOf);
    await kept.get(row(first, null), load(first), ruleSetOf);
    expect(loads).toBe(4);
  });

  it('does not keep events read after a newer write under the older revision', async () => {
    const kept = new DerivedLeads(2);
    let loads = 0;
    // The row read says the lead ends at "b"; the events, read just after another write, end at "c".
    const stale = row(first, 'r1');
    const load = async () => (loads++, second);
    await kept.get(stale, load, async () => ruleSet);
    await kept.get(stale, load, async () => ruleSet);
    expect(loads).toBe(2);
  });
});

describe('a rule file missing for stored events', () => {
  it('answers the lead with a problem naming the version, and leaves the rest of the server working', async () => {
    const workspace = await tempWorkspace();
    try {
      const first = await startServer({ workspace, keep: true });
      try {
        const ingest = await first.key('ingest');
        const reply = await first.call('POST', '/v1/events', { key: ingest, body: event('orphan', 'email_click', 0) });
        expect(reply.status).toBe(201);
      } finally {
        await first.close();
      }
      // As if the events had been evaluated by a version whose file was removed since.
      await execute(workspace, "update events set rule_set_version = 'v9' where lead_id = 'orphan'");
      const server = await startServer({ workspace, keep: true });
      try {
        const sales = await server.key('sales');
        const reply = await server.call('GET', '/v1/leads/orphan', { key: sales });
        expect(reply.status).toBe(500);
        expect(reply.body.detail).toContain('Rule-set version v9 evaluated stored events, but its rule file is missing');
        expect((await server.call('GET', '/v1/leads?limit=5', { key: sales })).body.leads).toHaveLength(1);
      } finally {
        await server.close();
      }
    } finally {
      await removeWorkspace(workspace);
    }
  });
});
