/**
 * Threshold what-if: for one version of a replay, hand-off metrics as a
 * function of the hand-off threshold, from the recorded score highs, without
 * replaying history again. Built once (sort, then one sweep); reading a
 * threshold is a binary search, fast enough for a slider.
 *
 * Semantics: at threshold t a lead counts as handed over, at the first time
 * its score after an activity event reached t, within the lead's horizon
 * (outcome events never applied) and within the period. This is the default hand-off rule ("score reaches the MQL
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
import { OUTCOME, replayColumns, type ReplayColumns } from './columns';
import { isoWeekStart, periodWeeks, precisionRecall, ratio, type Classification } from './metrics';
import { MS_PER_DAY } from './scoring';
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

const MS_PER_WEEK = 7 * MS_PER_DAY;

/** Outcome codes of a lead's highest step (reaching it adds the lead); lower steps only move its hand-off week. */
const NOT_HIGHEST = 0;
const OPEN = 1;
const WON = 2;
const LOST = 3;
/** Sort keys pack a step's score in cents above its position: positions stay below this. */
const POSITION_BITS = 2 ** 24;
/** Scores in cents stay below this, so a key stays an exact integer (below 2^53). */
const MAX_CENTS = 2 ** 28;

/**
 * Hand-offs per week, by week number, with the busiest week's count kept
 * current under +1/−1 changes.
 */
class WeeklyCounts {
  private readonly counts: Int32Array;
  /** weeksWithCount[c]: how many weeks have exactly c hand-offs (c ≥ 1). */
  private readonly weeksWithCount: Int32Array;
  peak = 0;

  constructor(weeks: number, steps: number) {
    this.counts = new Int32Array(weeks);
    this.weeksWithCount = new Int32Array(steps + 2);
  }

  add(week: number, delta: 1 | -1): void {
    const before = this.counts[week]!;
    const after = before + delta;
    this.counts[week] = after;
    if (before > 0) this.weeksWithCount[before]!--;
    if (after > 0) this.weeksWithCount[after]!++;
    if (after > this.peak) this.peak = after;
    // A count only moves by one, so when the busiest count empties the next busiest is one less.
    while (this.peak > 0 && this.weeksWithCount[this.peak] === 0) this.peak--;
  }
}

/** The threshold curve of version `index` of a replay. */
export function thresholdCurve(result: ReplayResult, index: number): ThresholdCurve {
  return columnCurve(replayColumns(result, [index]), 0);
}

/** The code of a lead's highest step, by the lead's OUTCOME code (open, won, lost, open counted as lost). */
const HIGHEST_STEP: readonly number[] = [OPEN, WON, LOST, LOST];

/**
 * The threshold curve of the version at `index` of a replay's columns. Each
 * of a lead's score highs is a step: for thresholds in (previous high, high],
 * the lead is handed over in the week of that high. Steps are kept in typed
 * arrays and sorted by a packed numeric key: a replay has hundreds of
 * thousands of them.
 */
export function columnCurve(columns: ReplayColumns, index: number): ThresholdCurve {
  const v = columns.versions[index];
  if (v === undefined) throw new RangeError(`no version at index ${index} (columns hold ${columns.versions.length})`);
  const { outcome: leadOutcomes } = columns.leads;
  const { highStart, highScore: scores, highAt } = v;
  const count = scores.length;
  if (count >= POSITION_BITS) throw new RangeError(`too many score highs for a threshold curve (${count})`);

  const weekOf = new Float64Array(count);
  /** Week of the lead's next higher step, whose hand-off this step replaces as the threshold drops; NaN for the highest. */
  const replaces = new Float64Array(count);
  const outcomes = new Uint8Array(count);
  let resolved = 0;
  let won = 0;
  let firstWeek = Infinity;
  let lastWeek = -Infinity;
  for (let lead = 0; lead < leadOutcomes.length; lead++) {
    const outcome = leadOutcomes[lead]!;
    if (outcome !== OUTCOME.open) resolved++;
    if (outcome === OUTCOME.won) won++;
    const end = highStart[lead + 1]!;
    for (let n = highStart[lead]!; n < end; n++) {
      const week = isoWeekStart(highAt[n]!);
      if (week < firstWeek) firstWeek = week;
      if (week > lastWeek) lastWeek = week;
      weekOf[n] = week;
      replaces[n] = NaN;
      if (n > highStart[lead]!) replaces[n - 1] = week;
      outcomes[n] = n === end - 1 ? HIGHEST_STEP[outcome]! : NOT_HIGHEST;
    }
  }
  const order = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const cents = Math.round(scores[i]! * 100);
    if (Math.abs(cents) >= MAX_CENTS) throw new RangeError(`a score of ${scores[i]} is too large for a threshold curve`);
    order[i] = cents * POSITION_BITS + i;
  }
  order.sort();

  const weeks = periodWeeks(columns.period).length;
  const weekIndex = (time: number) => Math.round((time - firstWeek) / MS_PER_WEEK);
  const weekly = new WeeklyCounts(count === 0 ? 0 : weekIndex(lastWeek) + 1, count);
  const points: ThresholdPoint[] = [];
  let handOffs = 0;
  let tp = 0;
  let fp = 0;
  // Highest score first: walk the sorted keys from the end.
  for (let k = count - 1; k >= 0;) {
    const threshold = scores[positionOf(order[k]!)]!;
    for (; k >= 0 && scores[positionOf(order[k]!)] === threshold; k--) {
      const step = positionOf(order[k]!);
      if (!Number.isNaN(replaces[step]!)) weekly.add(weekIndex(replaces[step]!), -1);
      weekly.add(weekIndex(weekOf[step]!), 1);
      const outcome = outcomes[step]!;
      if (outcome === NOT_HIGHEST) continue;
      handOffs++;
      if (outcome === WON) tp++;
      else if (outcome === LOST) fp++;
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
  return { version: v.version, threshold: v.threshold, resolved, won, weeks, points };
}

/** A step's position from its sort key (the low bits; the key's score part is a multiple of POSITION_BITS). */
function positionOf(key: number): number {
  const position = key % POSITION_BITS;
  return position < 0 ? position + POSITION_BITS : position;
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
