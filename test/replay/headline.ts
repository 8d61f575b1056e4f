/**
 * Prints the headline metrics of the default rule set replayed on each real
 * data set: `npx tsx test/replay/headline.ts`. A report, not a test.
 */
import { versionMetrics } from '../../engine/metrics';
import { replay } from '../../engine/replay';
import { atThreshold, thresholdCurve } from '../../engine/whatif';
import { DATA_SETS, defaultRuleSet, realHistory } from './real-data';

const v1 = defaultRuleSet();
for (const name of Object.keys(DATA_SETS) as Array<keyof typeof DATA_SETS>) {
  const history = realHistory(name);
  const result = replay([v1], history);
  const metrics = versionMetrics(result, 0);
  const curve = thresholdCurve(result, 0);
  const atV1 = atThreshold(curve, result.thresholds[0]!);
  const best = curve.points.reduce((top, point) => ((point.f1 ?? 0) > (top.f1 ?? 0) ? point : top), curve.points[0]!);
  console.log(
    JSON.stringify(
      {
        dataSet: name,
        events: history.length,
        leads: metrics.leads,
        baseRate: metrics.baseRate,
        handOffs: metrics.handOffs,
        classification: metrics.classification,
        auc: metrics.roc.auc,
        bands: metrics.bands,
        topDecile: metrics.lift[0],
        medianDaysToHandOff: metrics.medianDaysToHandOff,
        kpis: metrics.kpis,
        workload: {
          meanPerWeek: metrics.workload.meanPerWeek,
          peakPerWeek: metrics.workload.peakPerWeek,
          weeks: metrics.workload.weeks.length,
        },
        whatIf: { atV1Threshold: atV1, bestF1: best, points: curve.points.length },
      },
      null,
      2,
    ),
  );
}
