import { describe, expect, it } from 'vitest';
import { atThreshold, thresholdCurve } from '../../../engine/whatif';
import { changeAgainstOwn, curveSamples, curvesOf, pointAt, sliderRange } from '../../../editor/src/lib/logic/whatif';
import { demoReplay, demoReport } from './fixtures';

function curves() {
  const result = demoReplay();
  return [thresholdCurve(result, 0), thresholdCurve(result, 1)];
}

describe('threshold what-if in the browser', () => {
  const all = curves();

  it('reads the same metrics as the engine at every threshold', () => {
    for (const curve of all) {
      expect(curve.points.length).toBeGreaterThan(3);
      const { max } = sliderRange(curve);
      for (let t = 0; t <= max; t += 0.5) expect(pointAt(curve, t)).toEqual(atThreshold(curve, t));
    }
  });

  it('hands off fewer leads as the threshold rises', () => {
    const curve = all[0]!;
    expect(pointAt(curve, 20).handOffs).toBeGreaterThan(pointAt(curve, 80).handOffs);
  });

  it('offers a slider range where the scores lie, past the version threshold, not stretched by a few high scores', () => {
    for (const curve of all) {
      const range = sliderRange(curve);
      expect(range.min).toBe(0);
      expect(range.max).toBeGreaterThan(curve.threshold);
      // Above the range at most 5% of the leads' highest scores remain.
      const leads = curve.points[curve.points.length - 1]!.handOffs;
      expect(pointAt(curve, range.max).handOffs).toBeLessThanOrEqual(leads * 0.05);
      expect(range.max).toBeLessThan(curve.points[0]!.threshold);
    }
    const [curve] = all;
    const outlier = {
      ...curve!,
      points: [{ ...curve!.points[0]!, threshold: 340, handOffs: 1 }, ...curve!.points.map((p) => ({ ...p, handOffs: p.handOffs + 1 }))],
    };
    expect(sliderRange(outlier).max).toBe(sliderRange(curve!).max);
  });

  it('reads the change against the version’s own threshold', () => {
    const curve = all[0]!;
    const change = changeAgainstOwn(curve, curve.threshold - 10);
    expect(change.own).toEqual(pointAt(curve, curve.threshold));
    expect(change.chosen).toEqual(pointAt(curve, curve.threshold - 10));
    expect(change.handOffs).toBe(change.chosen.handOffs - change.own.handOffs);
    expect(change.handOffs).toBeGreaterThan(0);
    expect(change.recall).toBeCloseTo(change.chosen.recall! - change.own.recall!);
  });

  it('draws the curves at whole thresholds across the range, at most 121 points', () => {
    for (const curve of all) {
      const samples = curveSamples(curve);
      const { min, max } = sliderRange(curve);
      expect(samples[0]!.threshold).toBe(min);
      expect(samples.length).toBeLessThanOrEqual(121);
      for (const sample of samples) {
        expect(Number.isInteger(sample.threshold)).toBe(true);
        expect(sample.threshold).toBeLessThanOrEqual(max);
        expect(sample).toEqual(pointAt(curve, sample.threshold));
      }
    }
  });

  it('finds the curves beside the versions or inside each of them', () => {
    const report = demoReport();
    const curves = report.whatIf!;
    expect(curvesOf(report)).toEqual(curves);
    const inside = { ...report, whatIf: undefined, versions: report.versions.map((v, i) => ({ ...v, whatIf: curves[i] })) };
    expect(curvesOf(inside)).toEqual(curves);
    expect(curvesOf({ ...report, whatIf: undefined })).toEqual([]);
  });
});
