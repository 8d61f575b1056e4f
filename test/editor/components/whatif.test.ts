import { describe, expect, it } from 'vitest';
import { atThreshold, thresholdCurve } from '../../../engine/whatif';
import { curvesOf, pointAt, sliderRange } from '../../../editor/src/lib/logic/whatif';
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

  it('offers a slider range that covers the version threshold and the highest score', () => {
    for (const curve of all) {
      const range = sliderRange(curve);
      expect(range.max).toBeGreaterThanOrEqual(curve.threshold);
      expect(range.max).toBeGreaterThan(curve.points[0]!.threshold);
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
