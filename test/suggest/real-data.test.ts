import { describe, expect, it } from 'vitest';
import { suggestRuleSet } from '../../engine/suggest';
import { defaultRuleSet, realHistory } from '../replay/real-data';

// X Education through its adapter: only columns known before hand-off become events, so no rule can read sales' feedback.
describe('suggest on X Education', () => {
  const suggestion = suggestRuleSet(defaultRuleSet(), realHistory('x-education'), { version: 'v2' });
  const { holdOut, training } = suggestion.report.auc;

  it('learns from the resolved leads, judged with the default 90-day horizon', () => {
    expect(suggestion.report.horizonDays).toBe(90);
    expect(training.leads).toEqual({ won: 2493, lost: 3975 });
    expect(holdOut.leads).toEqual({ won: 1068, lost: 1704 });
  });

  it('fits a regression that ranks held-out leads well where replay judges v1', () => {
    expect(suggestion.report.regression.converged).toBe(true);
    expect(holdOut.regression.auc!).toBeGreaterThan(0.87);
  });

  it('writes a points table whose judged hold-out AUC comes within 0.02 of the regression’s', () => {
    expect(Math.abs(holdOut.pointsTable.auc! - holdOut.regression.auc!)).toBeLessThan(0.02);
  });

  it('ranks far above the textbook table it started from, beyond both intervals', () => {
    expect(holdOut.original.auc!).toBeLessThan(0.55);
    expect(holdOut.pointsTable.interval.low!).toBeGreaterThan(holdOut.original.interval.high! + 0.3);
  });

  it('reads only what the adapter puts before the outcome, and no identifier', () => {
    const text = JSON.stringify(suggestion.ruleSet.scoring);
    for (const leak of ['tags', 'leadQuality', 'leadProfile', 'lastActivity', 'totalVisits', 'converted', 'leadNumber']) {
      expect(text).not.toContain(`.${leak}"`);
    }
    expect(text).toContain('lead.attributes.leadOrigin');
  });
});
