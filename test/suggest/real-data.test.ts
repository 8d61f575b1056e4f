import { describe, expect, it } from 'vitest';
import { suggestRuleSet } from '../../engine/suggest';
import { defaultRuleSet, realHistory } from '../replay/real-data';

// X Education through its adapter: only columns known before hand-off become events, so no rule can read sales' feedback.
describe('suggest on X Education', () => {
  const suggestion = suggestRuleSet(defaultRuleSet(), realHistory('x-education'), { version: 'v2' });
  const { judged, beforeOutcome } = suggestion.report.auc.holdOut;

  it('fits a regression that ranks held-out leads well', () => {
    expect(suggestion.report.regression.converged).toBe(true);
    expect(beforeOutcome.regression!).toBeGreaterThan(0.87);
  });

  it('writes a points table whose replayed scores come within 0.02 of the regression’s AUC', () => {
    expect(Math.abs(beforeOutcome.pointsTable! - beforeOutcome.regression!)).toBeLessThan(0.02);
    expect(beforeOutcome.regression! - judged.pointsTable!).toBeLessThan(0.02);
  });

  it('ranks far above the textbook table it started from', () => {
    expect(judged.original!).toBeLessThan(0.55);
    expect(judged.pointsTable! - judged.original!).toBeGreaterThan(0.3);
  });

  it('reads only what the adapter puts before the outcome, and no identifier', () => {
    const text = JSON.stringify(suggestion.ruleSet.scoring);
    for (const leak of ['tags', 'leadQuality', 'leadProfile', 'lastActivity', 'totalVisits', 'converted', 'leadNumber']) {
      expect(text).not.toContain(`.${leak}"`);
    }
    expect(text).toContain('lead.attributes.leadOrigin');
  });
});
