import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../engine/index';
import { candidateRules } from '../../engine/candidates';
import { stratifiedHoldOut, suggestRuleSet } from '../../engine/suggest';
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

  it('says in its note how it was derived, with every hold-out AUC', () => {
    const { holdOut } = suggestion.report.auc;
    const note = suggestion.ruleSet.note;
    expect(note).toMatch(/logistic regression/);
    expect(note).toContain('synthetic');
    for (const value of [
      holdOut.judged.original,
      holdOut.judged.pointsTable,
      holdOut.beforeOutcome.regression,
      holdOut.beforeOutcome.pointsTable,
    ]) {
      expect(note).toContain(value!.toFixed(3));
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

  it('ranks held-out leads as well as the regression, and better than its parent, once replayed', () => {
    const { beforeOutcome } = suggestion.report.auc.holdOut;
    expect(Math.abs(beforeOutcome.pointsTable! - beforeOutcome.regression!)).toBeLessThan(0.02);
    expect(beforeOutcome.pointsTable!).toBeGreaterThan(beforeOutcome.original! + 0.05);
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

  it('never reads what was written after the outcome', () => {
    expect(names.some((name) => name.includes('secret'))).toBe(false);
    expect(readNames(candidates).some((name) => name.includes('secret'))).toBe(true); // candidates see all they are given …
  });

  it('never reads the outcome event’s own properties', () => {
    expect(names.some((name) => name.includes('tags'))).toBe(false);
  });

  it('never reads attributes written after sales acted on the lead', () => {
    expect(names.some((name) => name.includes('budgetConfirmed'))).toBe(false);
  });

  it('reads attributes only from lead_updated events', () => {
    const attributeRules = rules.filter((rule) => readNames(rule.when).some((name) => name.includes('lead.attributes.')));
    expect(attributeRules.length).toBeGreaterThan(0);
    expect(attributeRules.every((rule) => rule.kind === 'fit' && !rule.on)).toBe(true);
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
