/**
 * Reading a replay's threshold curve at any hand-off threshold, in the
 * browser, so the what-if slider answers at once without asking the server.
 * Same semantics as the engine's `atThreshold`: the metrics at t are those of
 * the curve point with the lowest threshold ≥ t; none above the highest score.
 */
import type { ComparisonReport } from '../api';

export type ThresholdCurve = NonNullable<ComparisonReport['whatIf']>[number];
export type ThresholdPoint = ThresholdCurve['points'][number];

export function pointAt(curve: ThresholdCurve, t: number): ThresholdPoint {
  const { points } = curve;
  // Points descend by threshold: find the last one whose threshold is ≥ t.
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (points[middle]!.threshold >= t) low = middle + 1;
    else high = middle;
  }
  const point = points[low - 1];
  if (point) return { ...point, threshold: t };
  const recall = curve.won === 0 ? null : 0;
  return {
    threshold: t,
    handOffs: 0,
    truePositives: 0,
    falsePositives: 0,
    precision: null,
    recall,
    f1: curve.won === 0 ? null : 0,
    meanPerWeek: curve.weeks === 0 ? null : 0,
    peakPerWeek: 0,
  };
}

/**
 * The share of leads whose highest score may lie above the slider's range: a few leads with very high
 * scores would otherwise stretch it far past where most scores lie, and every sensible threshold would
 * sit in its first fifth. A value above the range can still be typed.
 */
const SHARE_ABOVE_RANGE = 0.05;
/** The range reaches at least this far past the version's own threshold (as a multiple of it)… */
const PAST_OWN_THRESHOLD = 1.5;
/** …and its ends are rounded to this many points. */
const RANGE_ROUNDING = 10;

/**
 * The slider's range for a curve, from the data: from 0 (scores below it never hand off at a sensible
 * threshold; lower only when the version's own threshold is) to the
 * score that all but {@link SHARE_ABOVE_RANGE} of the leads reach, and always well past the version's
 * own threshold.
 */
export function sliderRange(curve: ThresholdCurve): { min: number; max: number; step: number } {
  const { points } = curve;
  const all = points[points.length - 1]?.handOffs ?? 0;
  // Points descend by threshold and their hand-offs grow: the first one past the share is where most scores end.
  const top = points.find((point) => point.handOffs > all * SHARE_ABOVE_RANGE)?.threshold ?? 0;
  const min = Math.min(0, Math.floor(curve.threshold / RANGE_ROUNDING) * RANGE_ROUNDING);
  const max =
    Math.ceil(Math.max(top, curve.threshold * PAST_OWN_THRESHOLD, curve.threshold + RANGE_ROUNDING) / RANGE_ROUNDING) * RANGE_ROUNDING;
  return { min, max, step: 1 };
}

/** The most points a curve is drawn with: enough for a smooth line, few enough for a quick chart and table. */
const MAX_SAMPLES = 120;

/** The curve read at evenly spaced thresholds across the slider's range (whole steps), for the chart. */
export function curveSamples(curve: ThresholdCurve): ThresholdPoint[] {
  const { min, max, step } = sliderRange(curve);
  const stride = Math.max(step, Math.ceil((max - min) / MAX_SAMPLES / step) * step);
  const samples: ThresholdPoint[] = [];
  for (let t = min; t <= max; t += stride) samples.push(pointAt(curve, t));
  return samples;
}

/** What moving the threshold to `t` changes against the version's own threshold: both points and their differences. */
export function changeAgainstOwn(curve: ThresholdCurve, t: number) {
  const own = pointAt(curve, curve.threshold);
  const chosen = pointAt(curve, t);
  const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  return {
    own,
    chosen,
    handOffs: chosen.handOffs - own.handOffs,
    meanPerWeek: minus(chosen.meanPerWeek, own.meanPerWeek),
    precision: minus(chosen.precision, own.precision),
    recall: minus(chosen.recall, own.recall),
  };
}

function isCurve(value: unknown): value is ThresholdCurve {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as ThresholdCurve).points) &&
    typeof (value as ThresholdCurve).version === 'string'
  );
}

/** The curves of a report, one per version, when the server sent them: as `whatIf` beside the versions, or inside each version. */
export function curvesOf(report: ComparisonReport): ThresholdCurve[] {
  if (Array.isArray(report.whatIf)) return report.whatIf.filter(isCurve);
  return report.versions.map((version) => (version as { whatIf?: unknown }).whatIf).filter(isCurve);
}
