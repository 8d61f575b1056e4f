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

/** The slider's range for a curve: from 0 to a little above the highest score reached. */
export function sliderRange(curve: ThresholdCurve): { min: number; max: number; step: number } {
  const highest = curve.points[0]?.threshold ?? curve.threshold;
  const max = Math.max(curve.threshold, Math.ceil((highest + 1) / 10) * 10);
  return { min: 0, max, step: 1 };
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
