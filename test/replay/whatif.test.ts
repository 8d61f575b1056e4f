import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoWeekStart, versionMetrics } from '../../engine/metrics';
import { replay } from '../../engine/replay';
import { atThreshold, thresholdCurve } from '../../engine/whatif';
import { day, history, lead, record, replayOf, undecayed } from './fixtures';

/**
 * Score highs over two weeks (days 0–13):
 * a (won) 10 on day 0, 40 on day 1, 60 on day 8; b (lost) 50 on day 2;
 * c (lost) 20 on day 0; d (open) 70 on day 9.
 */
const fixture = replayOf([
  lead('a', 'won', [
    record({
      highs: [
        [10, day(0)],
        [40, day(1)],
        [60, day(8)],
      ],
    }),
  ]),
  lead('b', 'lost', [record({ highs: [[50, day(2)]] })]),
  lead('c', 'lost', [record({ highs: [[20, day(0)]] })]),
  lead('d', null, [record({ highs: [[70, day(9)]] })]),
]);

describe('threshold what-if', () => {
  const curve = thresholdCurve(fixture, 0);

  it('has one point per distinct score high, highest first, with hand-offs and precision, recall, F1', () => {
    expect(curve).toMatchObject({ version: 'v1', threshold: 60, resolved: 3, won: 1, weeks: 2 });
    expect(curve.points.map((p) => [p.threshold, p.handOffs, p.truePositives, p.falsePositives, p.precision, p.recall, p.f1])).toEqual([
      [70, 1, 0, 0, null, 0, 0],
      [60, 2, 1, 0, 1, 1, 1],
      [50, 3, 1, 1, 0.5, 1, 2 / 3],
      [40, 3, 1, 1, 0.5, 1, 2 / 3],
      [20, 4, 1, 2, 1 / 3, 1, 0.5],
      [10, 4, 1, 2, 1 / 3, 1, 0.5],
    ]);
  });

  it('moves a lead’s hand-off to the week it first reached the threshold', () => {
    // at 50, a is handed over on day 8 (week 2) with d; at 40 it moves to day 1 (week 1) with b
    expect(curve.points.map((p) => [p.threshold, p.meanPerWeek, p.peakPerWeek])).toEqual([
      [70, 0.5, 1],
      [60, 1, 2],
      [50, 1.5, 2],
      [40, 1.5, 2],
      [20, 2, 3],
      [10, 2, 3],
    ]);
  });

  it('reads any threshold from the curve: the nearest point at or above it', () => {
    expect(atThreshold(curve, 55)).toEqual({ ...curve.points[1], threshold: 55 });
    expect(atThreshold(curve, 60)).toEqual(curve.points[1]);
    expect(atThreshold(curve, 5)).toEqual({ ...curve.points[5], threshold: 5 });
    expect(atThreshold(curve, 80)).toEqual({
      threshold: 80,
      handOffs: 0,
      truePositives: 0,
      falsePositives: 0,
      precision: null,
      recall: 0,
      f1: 0,
      meanPerWeek: 0,
      peakPerWeek: 0,
    });
  });

  it('agrees with the replay at the version’s own threshold when leads follow the threshold rule', () => {
    const events = history()
      .add('a', 0, 'email_click')
      .add('b', 0, 'email_open')
      .add('c', 0, 'demo_request')
      .add('a', 1, 'demo_request')
      .add('c', 1, 'document_download')
      .add('a', 2, 'webinar_attended')
      .add('c', 3, 'deal_lost')
      .add('b', 5, 'deal_lost')
      .add('a', 10, 'deal_won').events;
    const result = replay([undecayed('v1', 60), undecayed('v2', 40)], events);
    for (const index of [0, 1]) {
      const metrics = versionMetrics(result, index);
      const point = atThreshold(thresholdCurve(result, index), result.thresholds[index]!);
      expect([point.handOffs, point.precision, point.recall, point.f1]).toEqual([
        metrics.handOffs,
        metrics.classification.precision,
        metrics.classification.recall,
        metrics.classification.f1,
      ]);
      expect(point.peakPerWeek).toBe(metrics.workload.peakPerWeek);
    }
  });

  it('equals recounting every lead at every threshold', () => {
    const leadArbitrary = fc.record({
      outcome: fc.constantFrom('won' as const, 'lost' as const, null),
      steps: fc.array(fc.record({ rise: fc.integer({ min: 1, max: 30 }), days: fc.integer({ min: 0, max: 10 }) }), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.array(leadArbitrary, { maxLength: 25 }), (leads) => {
        const built = leads.map((l, i) => {
          let score = 0;
          let onDay = 0;
          const highs = l.steps.map(({ rise, days }): [number, string] => {
            score += rise;
            onDay += days;
            return [score, day(onDay)];
          });
          return lead(`l${i}`, l.outcome, [record({ highs })]);
        });
        const result = replayOf(built, ['v1'], 60);
        const curve = thresholdCurve(result, 0);
        for (const point of curve.points) {
          const weeks = new Map<number, number>();
          let handOffs = 0;
          let tp = 0;
          let fp = 0;
          for (const l of built) {
            const crossing = l.versions[0]!.highs.find((h) => h.score >= point.threshold);
            if (!crossing) continue;
            handOffs++;
            if (l.outcome?.result === 'won') tp++;
            if (l.outcome?.result === 'lost') fp++;
            const week = isoWeekStart(Date.parse(crossing.at));
            weeks.set(week, (weeks.get(week) ?? 0) + 1);
          }
          expect([point.handOffs, point.truePositives, point.falsePositives, point.peakPerWeek]).toEqual([
            handOffs,
            tp,
            fp,
            Math.max(0, ...weeks.values()),
          ]);
        }
      }),
    );
  });
});
