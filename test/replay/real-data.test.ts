import { describe, expect, it } from 'vitest';
import { versionMetrics } from '../../engine/metrics';
import { replay } from '../../engine/replay';
import { atThreshold, thresholdCurve } from '../../engine/whatif';
import { defaultRuleSet, realHistory } from './real-data';

describe.each([
  { name: 'x-education' as const, leads: 9240, won: 3561 },
  { name: 'bank-marketing' as const, leads: 41188, won: 4640 },
])('v1 replayed on $name', ({ name, leads, won }) => {
  const history = realHistory(name);
  const v1 = defaultRuleSet();
  const result = replay([v1], history);
  const metrics = versionMetrics(result, 0);

  it('judges every lead against its real outcome', () => {
    expect(metrics.leads).toEqual({ total: leads, resolved: leads, won, lost: leads - won, openCountedAsLost: 0, open: 0 });
    expect(result.events).toEqual({ read: history.length, beforePeriod: 0, unknownTypes: [{}] });
  });

  it('accounts for every lead in the hand-off matrix, bands and lift table', () => {
    const { truePositives, falsePositives, falseNegatives, trueNegatives } = metrics.classification;
    expect(truePositives + falseNegatives).toBe(won);
    expect(truePositives + falsePositives).toBe(metrics.handOffs);
    expect(truePositives + falsePositives + falseNegatives + trueNegatives).toBe(leads);
    expect(metrics.bands.reduce((sum, band) => sum + band.leads, 0)).toBe(leads);
    expect(metrics.lift.reduce((sum, row) => sum + row.conversions, 0)).toBe(won);
    expect(metrics.workload.weeks.reduce((sum, week) => sum + week.handOffs, 0)).toBe(metrics.handOffs);
  });

  // In these data sets no lead is held back by its stage or handed over by another route, so the what-if is exact at v1's threshold.
  it('agrees with the replay at v1’s own threshold', () => {
    const point = atThreshold(thresholdCurve(result, 0), result.thresholds[0]!);
    expect([point.handOffs, point.truePositives, point.falsePositives, point.peakPerWeek]).toEqual([
      metrics.handOffs,
      metrics.classification.truePositives,
      metrics.classification.falsePositives,
      metrics.workload.peakPerWeek,
    ]);
  });

  it('gives the same report for the same history', () => {
    expect(JSON.stringify(versionMetrics(replay([defaultRuleSet()], history), 0))).toBe(JSON.stringify(metrics));
  });

  it('gives the same report for the history read lead by lead', () => {
    const byLead = [...history].sort((a, b) => (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0));
    const grouped = replay([defaultRuleSet()], byLead, { groupedByLead: true });
    expect(JSON.stringify(versionMetrics(grouped, 0))).toBe(JSON.stringify(metrics));
  });
});
