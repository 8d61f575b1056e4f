import { describe, expect, it } from 'vitest';
import { gridCuts, leadStanding, populationImpact, type CompiledRuleSet, type LeadEvent } from '../../engine/index';
import { day, ev, ruleSet } from './fixtures';

const v1 = ruleSet();
/** The judgement time: two days after the histories below (decay counts whole days since the last activity). */
const NOW = Date.parse(day(2));

/** A lead's history: who it is, then activities on day 0, a minute apart. */
function lead(id: string, role: string, ...types: string[]): { id: string; events: LeadEvent[] } {
  return {
    id,
    events: [ev('lead_updated', 0, { role, companySize: 150 }, id), ...types.map((type, i) => ev(type, (i + 1) / 1440, {}, id))],
  };
}

const leads = [
  lead('a', 'director', 'webinar_attended', 'demo_request'),
  lead('b', 'engineer', 'email_click', 'webinar_attended'),
  lead('c', 'manager', 'email_open'),
  lead('d', 'student'),
];

function impact(draft: CompiledRuleSet) {
  const judge = (rules: CompiledRuleSet) => leads.map((l) => leadStanding(rules, l.id, l.events, NOW));
  return populationImpact(
    { active: v1, draft },
    { active: judge(v1), draft: judge(draft) },
    { now: NOW, firstEventAt: Date.parse(day(0)), top: 20 },
  );
}

describe('a lead standing', () => {
  it('is the score, band and stage after its events and one whole day of decay, with each rule’s points', () => {
    const standing = leadStanding(v1, 'a', leads[0]!.events, NOW);
    // Fit 15 (decision maker, mid-size), engagement 20 + 30 decayed one day at a 30-day half-life.
    expect(standing).toMatchObject({ fit: 15, engagement: 48.86, score: 63.86, band: 'hot', stage: 'mql' });
    expect(standing.handOffAt).toBe(Date.parse(leads[0]!.events[2]!.occurredAt));
    expect(standing.rules).toMatchObject({
      'decision-maker': 10,
      'mid-size-or-larger': 5,
      'webinar-attended': 20,
      'contact-or-demo-request': 30,
    });
  });
});

describe('population impact', () => {
  it('counts the same leads under both versions, in bins both share', () => {
    const result = impact(ruleSet((json) => (json.decay.halfLifeDays = null)));
    for (const figures of [result.active, result.draft]) {
      expect(figures.histogram.counts.reduce((a, b) => a + b, 0)).toBe(leads.length);
      expect(Object.values(figures.bands).reduce((a, b) => a + b, 0)).toBe(leads.length);
    }
    expect(result.draft.histogram.start).toBe(result.active.histogram.start);
    expect(result.judgedAt).toBe(day(2));
  });

  it('names the band threshold that moved a lead whose score did not change', () => {
    const result = impact(ruleSet((json) => (json.bands.warm = 10)));
    const moved = result.changes.find((c) => c.leadId === 'c');
    expect(moved).toMatchObject({
      from: { band: 'cold' },
      to: { band: 'warm' },
      rules: [],
      thresholds: [{ threshold: 'warm', from: 30, to: 10 }],
    });
  });

  it('names the rule whose points moved a lead', () => {
    const result = impact(ruleSet((json) => (json.scoring.find((r: { id: string }) => r.id === 'email-click').points = 40)));
    const moved = result.changes.find((c) => c.leadId === 'b');
    expect(moved?.rules).toEqual([{ ruleId: 'email-click', from: 10, to: 40 }]);
    expect(result.bandChanged).toBe(result.changes.length);
  });

  it('grades fit in thirds of the highest possible fit and engagement from the band thresholds', () => {
    expect(gridCuts(v1)).toEqual({ fit: { A: 10, B: 5 }, engagement: { '1': 60, '2': 30 } });
    const { grid } = impact(v1).draft;
    // a: fit 15, engagement 48.86 (A2); c: fit 15, engagement 4.89 (A3); b: fit 5, engagement 29.32 (B3); d: fit 5, none (B3).
    expect(grid).toEqual({ A: { '1': 0, '2': 1, '3': 1 }, B: { '1': 0, '2': 0, '3': 2 }, C: { '1': 0, '2': 0, '3': 0 } });
  });
});
