/**
 * Threshold what-if: for one version of a replay, hand-off metrics as a
 * function of the hand-off threshold, from the recorded score highs, without
 * replaying history again. Built once (sort, then one sweep); reading a
 * threshold is a binary search, fast enough for a slider.
 *
 * Semantics: at threshold t a lead counts as handed over, at the first time
 * its score after an activity event reached t, before its outcome and within
 * the period. This is the default hand-off rule ("score reaches the MQL
 * threshold on activity") with two simplifications, both exact at the
 * version's own threshold for leads that follow that rule:
 * - stage guards are ignored: a lead whose stage would have blocked the
 *   hand-off (already disqualified, or in a sales stage by another route)
 *   still counts once its score reaches t;
 * - scores are those of the replayed version: a rule set whose scoring
 *   depends on the stage would score differently under another threshold.
 * Hand-offs by other transitions (e.g. a customer's request straight to SQL)
 * are counted only if the score also reached t.
 */
import { parseTime } from './evaluate';
import { isoWeekStart, periodWeeks, precisionRecall, ratio, type Classification } from './metrics';
import type { ReplayResult } from './replay';

export interface ThresholdPoint {
  /** Leads whose score reached this value are handed over. */
  threshold: number;
  handOffs: number;
  truePositives: number;
  falsePositives: number;
  precision: Classification['precision'];
  recall: Classification['recall'];
  f1: Classification['f1'];
  /** Hand-offs per ISO week of the period, on average and in the busiest week. */
  meanPerWeek: number | null;
  peakPerWeek: number;
}

export interface ThresholdCurve {
  version: string;
  /** The version's own hand-off threshold. */
  threshold: number;
  resolved: number;
  won: number;
  weeks: number;
  /** One point per distinct score high, highest threshold first. At any threshold t the metrics are those of the point with the lowest threshold ≥ t. */
  points: ThresholdPoint[];
}

/** One step of a lead's score highs: for thresholds in (previous high, score], the lead is handed over at `week`. */
interface Step {
  score: number;
  week: number;
  /** Week of the next higher step, whose hand-off this step replaces as the threshold drops; null for the lead's highest score. */
  replacesWeek: number | null;
  /** Set on the lead's highest step: reaching it adds the lead. */
  outcome: 'won' | 'lost' | 'open' | null;
}

/** Counts per week with the busiest week's count kept current under +1/−1 changes. */
class WeeklyCounts {
  private readonly counts = new Map<number, number>();
  /** weeksWithCount[c]: how many weeks have exactly c hand-offs (c ≥ 1). */
  private readonly weeksWithCount: number[] = [0];
  peak = 0;

  add(week: number, delta: 1 | -1): void {
    const before = this.counts.get(week) ?? 0;
    const after = before + delta;
    this.counts.set(week, after);
    if (before > 0) this.weeksWithCount[before]!--;
    if (after > 0) this.weeksWithCount[after] = (this.weeksWithCount[after] ?? 0) + 1;
    if (after > this.peak) this.peak = after;
    // A count only moves by one, so when the busiest count empties the next busiest is one less.
    while (this.peak > 0 && !this.weeksWithCount[this.peak]) this.peak--;
  }
}

/** The threshold curve of version `index` of a replay. */
export function thresholdCurve(result: ReplayResult, index: number): ThresholdCurve {
  const version = result.versions[index];
  if (version === undefined) throw new RangeError(`no version at index ${index} (replay has ${result.versions.length})`);
  const steps: Step[] = [];
  let resolved = 0;
  let won = 0;
  for (const lead of result.leads) {
    if (lead.outcome) {
      resolved++;
      if (lead.outcome.result === 'won') won++;
    }
    const highs = lead.versions[index]!.highs;
    let week = highs.length > 0 ? isoWeekStart(parseTime(highs[0]!.at)) : 0;
    for (let i = 0; i < highs.length; i++) {
      const next = highs[i + 1];
      const nextWeek = next ? isoWeekStart(parseTime(next.at)) : null;
      steps.push({ score: highs[i]!.score, week, replacesWeek: nextWeek, outcome: next ? null : (lead.outcome?.result ?? 'open') });
      week = nextWeek ?? week;
    }
  }
  steps.sort((a, b) => b.score - a.score);

  const weeks = periodWeeks(result.period).length;
  const weekly = new WeeklyCounts();
  const points: ThresholdPoint[] = [];
  let handOffs = 0;
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < steps.length;) {
    const threshold = steps[i]!.score;
    for (; i < steps.length && steps[i]!.score === threshold; i++) {
      const step = steps[i]!;
      if (step.replacesWeek !== null) weekly.add(step.replacesWeek, -1);
      weekly.add(step.week, 1);
      if (step.outcome === null) continue;
      handOffs++;
      if (step.outcome === 'won') tp++;
      else if (step.outcome === 'lost') fp++;
    }
    points.push({
      threshold,
      handOffs,
      truePositives: tp,
      falsePositives: fp,
      ...precisionRecall(tp, fp, won - tp),
      meanPerWeek: ratio(handOffs, weeks),
      peakPerWeek: weekly.peak,
    });
  }
  return { version, threshold: result.thresholds[index]!, resolved, won, weeks, points };
}

/** The metrics at any threshold `t`, read from the curve by binary search (no hand-offs above the highest score). */
export function atThreshold(curve: ThresholdCurve, t: number): ThresholdPoint {
  const { points } = curve;
  // points descend by threshold: find the last point whose threshold is ≥ t.
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (points[middle]!.threshold >= t) low = middle + 1;
    else high = middle;
  }
  const point = points[low - 1];
  if (point) return { ...point, threshold: t };
  return {
    threshold: t,
    handOffs: 0,
    truePositives: 0,
    falsePositives: 0,
    ...precisionRecall(0, 0, curve.won),
    meanPerWeek: ratio(0, curve.weeks),
    peakPerWeek: 0,
  };
}
