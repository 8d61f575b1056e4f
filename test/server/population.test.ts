import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BANDS,
  STAGES,
  evaluate,
  loadRuleSetOrThrow,
  tickEvent,
  type CompiledRuleSet,
  type LeadEvent,
  type LeadEventInput,
  type LeadState,
} from '../../engine/index';
import { storeHistory } from '../../server/history-import';
import { openHistory } from '../../server/index';
import { chooseSample, SampleCache } from '../../server/population/sample';
import { POPULATION_SAMPLE_SEED } from '../../server/config';
import { event, eventually, removeWorkspace, startServer, tempWorkspace, type TestServer } from './helpers';

/** The judgement time: weeks after the history, so decay and dormancy have work to do. */
const NOW = new Date('2026-05-20T12:00:00.000Z');
const ACTIVITIES = ['email_open', 'email_click', 'document_download', 'webinar_attended', 'site_visit', 'demo_request'];
const ROLES = ['executive', 'engineer', 'manager', 'student'];

/** Lead `i`'s history: who it is, then a mix of activities that grows with i, an hour apart. */
function history(i: number): LeadEventInput[] {
  const leadId = `lead-${String(i).padStart(3, '0')}`;
  const who = event(leadId, 'lead_updated', i, { properties: { role: ROLES[i % ROLES.length], companySize: (i % 5) * 60 } });
  const activity = Array.from({ length: 1 + (i % 7) }, (_, n) =>
    event(leadId, ACTIVITIES[(i + n * 3) % ACTIVITIES.length]!, i + 60 * (n + 1)),
  );
  return [who, ...activity];
}

const LEADS = 40;
const allEvents = Array.from({ length: LEADS }, (_, i) => history(i)).flat();

/** A lead's state at NOW by the engine's public, explained path: each event evaluated in history order, then a tick. */
function judged(ruleSet: CompiledRuleSet, events: readonly LeadEventInput[]): LeadState {
  const ordered = [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
  let state: LeadState | null = null;
  for (const e of ordered) state = evaluate(ruleSet, state, { properties: {}, ...e } as LeadEvent).state;
  return evaluate(ruleSet, state!, tickEvent(state!, NOW.toISOString())).state;
}

function counts<K extends string>(keys: readonly K[], values: K[]): Record<K, number> {
  const result = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const value of values) result[value]++;
  return result;
}

let server: TestServer;
let editorKey: string;
let v1: any;
let draft: any;

beforeAll(async () => {
  server = await startServer({ now: () => NOW });
  editorKey = await server.key('editor');
  const ingestKey = await server.key('ingest');
  const stored = await server.call('POST', '/v1/events/batch', { key: ingestKey, body: { events: allEvents } });
  expect(stored.status).toBe(200);
  v1 = JSON.parse(readFileSync(join(server.rulesDir, 'v1.json'), 'utf8'));
  const { version: _v, createdAt: _c, author: _a, parent: _p, note: _n, ...rest } = structuredClone(v1);
  draft = rest;
  draft.bands.hot = 40;
  draft.bands.warm = 15;
  draft.lifecycle.thresholds.mql = 40;
});
afterAll(() => server.close());

const population = (ruleSet: unknown) => server.call('POST', '/v1/rulesets/population', { key: editorKey, body: { ruleSet } });

describe('POST /v1/rulesets/population', () => {
  it('judges every stored lead under the draft and the active version as the engine does, one by one', async () => {
    const reply = await population(draft);
    expect(reply.status).toBe(200);
    const active = loadRuleSetOrThrow(v1);
    const drafted = loadRuleSetOrThrow({ ...v1, ...draft });
    const byLead = Array.from({ length: LEADS }, (_, i) => history(i));
    const before = byLead.map((events) => judged(active, events));
    const after = byLead.map((events) => judged(drafted, events));

    expect(reply.body.judgedAt).toBe(NOW.toISOString());
    expect(reply.body.activeVersion).toBe('v1');
    expect(reply.body.active.bands).toEqual(
      counts(
        BANDS,
        before.map((s) => s.band),
      ),
    );
    expect(reply.body.draft.bands).toEqual(
      counts(
        BANDS,
        after.map((s) => s.band),
      ),
    );
    expect(reply.body.active.stages).toEqual(
      counts(
        STAGES,
        before.map((s) => s.stage),
      ),
    );
    expect(reply.body.draft.stages).toEqual(
      counts(
        STAGES,
        after.map((s) => s.stage),
      ),
    );
    const { start, width } = reply.body.draft.histogram;
    const histogram = (states: LeadState[]) => {
      const bins = new Array<number>(reply.body.draft.histogram.counts.length).fill(0);
      for (const s of states) bins[Math.floor((s.score.total - start) / width)]! += 1;
      return bins;
    };
    expect(reply.body.active.histogram.counts).toEqual(histogram(before));
    expect(reply.body.draft.histogram.counts).toEqual(histogram(after));
    const changed = before.filter((s, i) => s.band !== after[i]!.band).length;
    expect(changed).toBeGreaterThan(0);
    expect(reply.body.bandChanged).toBe(changed);
  });

  it('states that every lead was judged when there are no more than the limit', async () => {
    const reply = await population(draft);
    expect(reply.body.sample).toMatchObject({ sampled: false, leads: LEADS, total: LEADS });
  });

  it('lists the leads changing band with the thresholds that moved them, largest score change first', async () => {
    const reply = await population(draft);
    const changes = reply.body.changes as Array<{
      from: { score: number; band: string };
      to: { score: number; band: string };
      thresholds: unknown[];
    }>;
    expect(changes.length).toBe(Math.min(20, reply.body.bandChanged));
    for (const change of changes) {
      expect(change.from.band).not.toBe(change.to.band);
      // Only thresholds changed, so each lead keeps its score and a band threshold explains the move.
      expect(change.to.score).toBe(change.from.score);
      expect(change.thresholds.length).toBeGreaterThan(0);
    }
  });

  it('names the rule whose points moved a lead', async () => {
    const richer = structuredClone(draft);
    richer.bands = { ...v1.bands };
    for (const rule of richer.scoring) if (rule.id === 'demo-request' || rule.id === 'contact-or-demo-request') rule.points = 90;
    const reply = await population(richer);
    expect(reply.status).toBe(200);
    expect(reply.body.bandChanged).toBeGreaterThan(0);
    const rule = reply.body.changes[0].rules.find((r: { ruleId: string }) => r.ruleId === 'contact-or-demo-request');
    // Three times the points for every demo request the lead made.
    expect(rule.to).toBe(rule.from * 3);
    expect(rule.from).toBeGreaterThan(0);
  });

  it('grades fit and engagement into a grid that holds every lead', async () => {
    const reply = await population(draft);
    expect(reply.body.cuts).toEqual({ fit: { A: 10, B: 5 }, engagement: { '1': 40, '2': 15 } });
    const total = (grid: Record<string, Record<string, number>>) =>
      Object.values(grid).reduce((sum, row) => sum + Object.values(row).reduce((a, b) => a + b, 0), 0);
    expect(total(reply.body.draft.grid)).toBe(LEADS);
    expect(total(reply.body.active.grid)).toBe(LEADS);
  });

  it('refuses an invalid draft with 422 naming each field at fault', async () => {
    const reply = await population({ ...draft, bands: { hot: 'high' } });
    expect(reply.status).toBe(422);
    expect(reply.body.type).toBe('/problems/invalid-rule-set');
    const paths = reply.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['ruleSet.bands.hot', 'ruleSet.bands.warm']));
  });

  it('refuses a draft whose rule has an unknown operator with 422 naming the rule', async () => {
    const reply = await population({ ...draft, scoring: [{ ...draft.scoring[0], when: { contians: [1, 2] } }, ...draft.scoring.slice(1)] });
    expect(reply.status).toBe(422);
    const paths: string[] = reply.body.errors.map((e: { path: string }) => e.path);
    expect(
      paths.some((path) => path.startsWith('ruleSet.scoring[0].when')),
      paths.join(', '),
    ).toBe(true);
  });

  it('is not open to an ingest key', async () => {
    const ingestKey = await server.key('ingest');
    expect((await server.call('POST', '/v1/rulesets/population', { key: ingestKey, body: { ruleSet: draft } })).status).toBe(403);
  });
});

describe('the population sample', () => {
  it('takes the same seeded leads on every read and says how many of how many', async () => {
    const workspace = await tempWorkspace();
    const stored = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir, now: () => NOW });
    try {
      await storeHistory(stored, allEvents as LeadEvent[], { recordedBy: 'test' });
      const ids = Array.from({ length: LEADS }, (_, i) => `lead-${String(i).padStart(3, '0')}`);
      const first = await new SampleCache(stored.store, stored.ingestion, () => NOW, 10).get();
      const second = await new SampleCache(stored.store, stored.ingestion, () => NOW, 10).get();
      expect(first).toMatchObject({ leads: 10, total: LEADS, seed: POPULATION_SAMPLE_SEED, judgedAt: NOW.toISOString() });
      const leadsOf = (json: string) => [...new Set((JSON.parse(json) as string[][]).map((tuple) => tuple[2]))].sort();
      expect(leadsOf(first.json)).toEqual(chooseSample(ids, 10, POPULATION_SAMPLE_SEED));
      expect(leadsOf(second.json)).toEqual(leadsOf(first.json));
      // Not simply the first ids: the sample is spread by the seeded hash.
      expect(leadsOf(first.json)).not.toEqual(ids.slice(0, 10));
    } finally {
      await stored.close();
      await removeWorkspace(workspace);
    }
  });

  it('keeps its leads when more leads arrive, but for those that displace one', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `lead-${i}`);
    const before = chooseSample(ids, 20, POPULATION_SAMPLE_SEED);
    const after = chooseSample([...ids, 'lead-new-1', 'lead-new-2'], 20, POPULATION_SAMPLE_SEED);
    const kept = before.filter((id) => after.includes(id));
    expect(kept.length).toBeGreaterThanOrEqual(18);
    expect(chooseSample(ids, 20, 'another seed')).not.toEqual(before);
  });

  it('is read again in the background once events are stored and the refresh interval has passed', async () => {
    const workspace = await tempWorkspace();
    let now = NOW.getTime();
    const stored = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir, now: () => new Date(now) });
    try {
      await storeHistory(stored, allEvents.slice(0, 5) as LeadEvent[], { recordedBy: 'test' });
      const cache = new SampleCache(stored.store, stored.ingestion, () => new Date(now), 10);
      const first = await cache.get();
      await storeHistory(stored, history(99) as LeadEvent[], { recordedBy: 'test' });
      expect((await cache.get()).generation).toBe(first.generation);
      now += 60_000;
      // The sample it has still answers while the new one is read.
      expect((await cache.get()).generation).toBe(first.generation);
      await eventually(async () => (await cache.get()).generation !== first.generation);
      expect((await cache.get()).total).toBe(first.total + 1);
    } finally {
      await stored.close();
      await removeWorkspace(workspace);
    }
  });
});

describe('the warm-up after start', () => {
  /** A workspace whose store holds every lead of the history, as a server finds it when it starts. */
  async function storedWorkspace() {
    const workspace = await tempWorkspace();
    const stored = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir, now: () => NOW });
    await storeHistory(stored, allEvents as LeadEvent[], { recordedBy: 'test' });
    await stored.close();
    return workspace;
  }

  it('reads the sample of the stored leads and judges it in the background, and the first edit judges those leads', async () => {
    const warm = await startServer({ workspace: await storedWorkspace(), now: () => NOW });
    try {
      expect(await warm.populationWarm).toMatchObject({ leads: LEADS });
      const reply = await warm.call('POST', '/v1/rulesets/population', { key: await warm.key('editor'), body: { ruleSet: draft } });
      expect(reply.status).toBe(200);
      expect(reply.body.sample).toMatchObject({ leads: LEADS, total: LEADS });
      expect(reply.body.judgedAt).toBe(NOW.toISOString());
    } finally {
      await warm.close();
    }
  });

  it('is skipped when turned off, and has nothing to do in a store without leads', async () => {
    const off = await startServer({ workspace: await storedWorkspace(), now: () => NOW, warmPopulation: false });
    try {
      expect(await off.populationWarm).toBeNull();
    } finally {
      await off.close();
    }
    expect(await server.populationWarm).toBeNull();
  });
});
