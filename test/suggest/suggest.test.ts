import { describe, expect, it } from 'vitest';
import { loadRuleSet, type RuleSetInput } from '../../engine/index';
import { candidateRules } from '../../engine/candidates';
import { replay } from '../../engine/replay';
import { delongAuc } from '../../engine/stats';
import { stratifiedHoldOut, SuggestError, suggestRuleSet } from '../../engine/suggest';
import { syntheticHistory, v1 } from './fixtures';

const history = syntheticHistory({ leads: 1500 });
const suggestion = suggestRuleSet(v1(), history, { version: 'v2', source: 'synthetic' });
const rules = suggestion.ruleSet.scoring;
const points = (id: string) => rules.find((rule) => rule.id === id)?.points ?? 0;
/** Every attribute and property name a rule reads. */
const readNames = (value: unknown): string[] => JSON.stringify(value ?? null).match(/"var":"[^"]+"/g) ?? [];

describe('suggest: the candidate rule set', () => {
  it('is a valid rule set, the next version of its parent, dated by the history', () => {
    const loaded = loadRuleSet(suggestion.ruleSet);
    expect(loaded.ok).toBe(true);
    expect(suggestion.ruleSet).toMatchObject({
      version: 'v2',
      parent: 'v1',
      author: 'leadflow suggest',
      createdAt: history[history.length - 1]!.occurredAt,
    });
  });

  it('says in its note how it was derived, the horizon, and every hold-out AUC with its interval', () => {
    const { holdOut } = suggestion.report.auc;
    const note = suggestion.ruleSet.note;
    expect(note).toMatch(/logistic regression/);
    expect(note).toContain('synthetic');
    expect(note).toContain('90-day horizon');
    for (const { auc, interval } of [holdOut.original, holdOut.regression, holdOut.pointsTable]) {
      expect(note).toContain(`${auc!.toFixed(3)} (${interval.low!.toFixed(3)}–${interval.high!.toFixed(3)})`);
    }
  });

  it('gives points where the outcomes were made: a pro plan and demo requests up, an idle signal nowhere', () => {
    expect(points('plan-pro')).toBeGreaterThan(points('plan-free') + 10);
    expect(points('contact-or-demo-request')).toBeGreaterThan(10);
    expect(Math.max(...rules.map((rule) => Math.abs(rule.points)))).toBe(50);
  });

  it('moves each attribute’s lowest value to 0, so attributes only add points', () => {
    const plan = rules.filter((rule) => rule.id.startsWith('plan-'));
    expect(plan.map((rule) => rule.id)).toEqual(['plan-pro']);
    expect(rules.filter((rule) => rule.kind === 'fit').every((rule) => rule.points > 0)).toBe(true);
  });

  it('reports hold-out AUCs as replay judges the parent and the table, with DeLong intervals', () => {
    const { holdOut } = suggestion.report.auc;
    const loaded = loadRuleSet(suggestion.ruleSet);
    if (!loaded.ok) throw new Error('the suggested rule set should load');
    const ids = new Set(history.filter((event) => event.type === 'deal_won' || event.type === 'deal_lost').map((event) => event.leadId));
    const resolved = replay([v1(), loaded.ruleSet], history).leads.filter((lead) => ids.has(lead.leadId));
    const held = stratifiedHoldOut(new Map(resolved.map((lead) => [lead.leadId, lead.outcome!.result === 'won'])), 0.3, 1);
    const heldOut = resolved.filter((lead) => held.has(lead.leadId));
    const won = heldOut.map((lead) => lead.outcome!.result === 'won');
    expect(holdOut.leads).toEqual({ won: won.filter(Boolean).length, lost: won.filter((w) => !w).length });
    expect(holdOut.original).toEqual(
      delongAuc(
        heldOut.map((lead) => lead.versions[0]!.judged.score),
        won,
      ),
    );
    expect(holdOut.pointsTable).toEqual(
      delongAuc(
        heldOut.map((lead) => lead.versions[1]!.judged.score),
        won,
      ),
    );
    for (const { auc, interval } of [holdOut.original, holdOut.regression, holdOut.pointsTable]) {
      expect(interval.low!).toBeLessThan(auc!);
      expect(interval.high!).toBeGreaterThan(auc!);
    }
  });

  it('fits a regression that ranks held-out leads, judged where the parent is, better than the parent', () => {
    const { holdOut } = suggestion.report.auc;
    expect(holdOut.regression.auc!).toBeGreaterThan(holdOut.original.auc! + 0.05);
  });

  it('hands off at the threshold that serves the fitted leads best, keeping warm below hot', () => {
    const { bands, lifecycle } = suggestion.ruleSet;
    expect(bands.hot).toBe(lifecycle.thresholds.mql);
    expect(bands.warm).toBeLessThan(bands.hot);
    expect(lifecycle.thresholds.reactivation).toBeLessThanOrEqual(lifecycle.thresholds.mql);
  });
});

describe('suggest: no look-ahead', () => {
  const names = readNames(rules);
  const candidates = candidateRules(v1(), history, new Set(history.map((event) => event.leadId)), new Set());

  it('never reads what was written after the horizon', () => {
    expect(names.some((name) => name.includes('secret'))).toBe(false);
    expect(readNames(candidates).some((name) => name.includes('secret'))).toBe(true); // candidates see all they are given …
  });

  it('never reads the outcome event’s own properties', () => {
    expect(names.some((name) => name.includes('tags'))).toBe(false);
  });

  // A limit of the judgement point, shared with replay: what the CRM writes within the horizon is known there.
  it('reads what replay judges the parent on, even attributes written after the outcome within the horizon', () => {
    const leaky = suggestRuleSet(v1(), syntheticHistory({ leads: 600, leaksWithinHorizon: true }), { version: 'v2' });
    const leakyNames = readNames(leaky.ruleSet.scoring);
    expect(leakyNames.some((name) => name.includes('secret'))).toBe(true);
    expect(leakyNames.some((name) => name.includes('budgetConfirmed'))).toBe(true);
  });

  it('reads attributes only from lead_updated events', () => {
    const attributeRules = rules.filter((rule) => readNames(rule.when).some((name) => name.includes('lead.attributes.')));
    expect(attributeRules.length).toBeGreaterThan(0);
    expect(attributeRules.every((rule) => rule.kind === 'fit' && !rule.on)).toBe(true);
  });
});

describe('suggest: the parent’s rules as candidates', () => {
  it('turns a cap in points into a cap in times, and drops it where the parent takes points (the engine never caps those)', () => {
    const input = v1().definition as RuleSetInput;
    const capped = structuredClone(input);
    for (const rule of capped.scoring) {
      if (rule.id === 'document-download') rule.caps = { maxPoints: 40 };
      if (rule.id === 'unsubscribed') rule.caps = { maxPoints: 20 };
    }
    const loaded = loadRuleSet(capped);
    if (!loaded.ok) throw new Error('the capped parent should load');
    const candidates = candidateRules(loaded.ruleSet, history, new Set(history.map((event) => event.leadId)), new Set());
    const caps = (id: string) => candidates.find((candidate) => candidate.rule.id === id)?.rule.caps;
    expect(caps('document-download')).toEqual({ maxTimes: 3 });
    expect(caps('unsubscribed')).toBeUndefined();
  });
});

describe('suggest: histories it cannot learn from', () => {
  const outcomes = (type: string) => history.filter((event) => event.type !== type);

  it('refuses a history with only won leads before fitting, naming the cause and the fix', () => {
    const wonOnly = outcomes('deal_lost');
    const won = new Set(wonOnly.filter((event) => event.type === 'deal_won').map((event) => event.leadId)).size;
    expect(() => suggestRuleSet(v1(), wonOnly, { version: 'v2' })).toThrow(
      new SuggestError(
        'one-outcome',
        `the history has ${won} won leads and no lost ones: suggest needs both outcomes to learn what separates them; import the lost deals (deal_lost events) as well, or suggest from a history that has both`,
      ),
    );
  });

  it('refuses a history with only lost leads, or with none resolved', () => {
    expect(() => suggestRuleSet(v1(), outcomes('deal_won'), { version: 'v2' })).toThrow(
      /lost leads and no won ones: .*import the won deals/,
    );
    const open = history.filter((event) => event.type !== 'deal_won' && event.type !== 'deal_lost');
    expect(() => suggestRuleSet(v1(), open, { version: 'v2' })).toThrow(/no won or lost leads/);
  });

  it('refuses a horizon that is not a positive number of days', () => {
    expect(() => suggestRuleSet(v1(), history, { version: 'v2', horizonDays: 0 })).toThrow(RangeError);
  });
});

describe('suggest: determinism', () => {
  it('gives the same rule set and report for the same history, byte for byte', () => {
    const again = suggestRuleSet(v1(), syntheticHistory({ leads: 1500 }), { version: 'v2', source: 'synthetic' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(suggestion));
  });

  it('holds out the same share of won and of lost leads, chosen by the seed alone', () => {
    const outcomes = new Map<string, boolean>(Array.from({ length: 200 }, (_, i) => [`lead-${i}`, i % 4 === 0] as const));
    const held = stratifiedHoldOut(outcomes, 0.3, 1);
    expect([...held].filter((id) => outcomes.get(id)).length).toBe(15);
    expect([...held].filter((id) => !outcomes.get(id)).length).toBe(45);
    const reversed = new Map([...outcomes].reverse());
    expect([...stratifiedHoldOut(reversed, 0.3, 1)].sort()).toEqual([...held].sort());
    expect([...stratifiedHoldOut(outcomes, 0.3, 2)].sort()).not.toEqual([...held].sort());
  });
});
