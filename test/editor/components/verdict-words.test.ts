import { describe, expect, it } from 'vitest';
import { createFormatters, createTranslator } from '../../../editor/src/lib/i18n/translate';
import { aucWithInterval, percentRange, rateWithInterval } from '../../../editor/src/lib/logic/intervals';
import { verdictText } from '../../../editor/src/lib/logic/verdict';
import { demoReport, measure, reportWith } from './fixtures';

const t = createTranslator('en');
const f = createFormatters('en');
const base = demoReport();

/** The verdict of the demo report with `measures` as the server's paired verdict on `resolved` leads. */
function words(measures: Parameters<typeof measure>[], resolved = 420) {
  const report = reportWith((r) => {
    r.diffs[0]!.verdict = { leads: 800, resolved, measures: measures.map((m) => measure(...m)) };
  }, base);
  return verdictText(t, f, report, report.diffs[0]!);
}

describe('a figure with its interval', () => {
  it('gives whole percentages for a wide interval and one decimal for a narrow one', () => {
    expect(rateWithInterval(t, f, 0.42, { low: 0.38, high: 0.46 })).toBe('42% (38–46%)');
    expect(rateWithInterval(t, f, 0.42, { low: 0.412, high: 0.428 })).toBe('42% (41.2–42.8%)');
  });

  it('reads "unknown" for a rate the data cannot give, and the bare figure without an interval', () => {
    expect(rateWithInterval(t, f, null, { low: null, high: null })).toBe('unknown');
    expect(rateWithInterval(t, f, 0.5, { low: null, high: null })).toBe('50%');
    expect(percentRange(f, { low: 0.1, high: null })).toBeNull();
  });

  it('gives an AUC and its interval to two decimals', () => {
    expect(aucWithInterval(t, f, 0.7123, { low: 0.664, high: 0.759 })).toBe('0.71 (0.66–0.76)');
    expect(aucWithInterval(t, f, null)).toBe('unknown');
  });
});

describe('the verdict’s words', () => {
  it('gives an uneven hand-off interval as its two ends', () => {
    expect(words([['handOffs', [100, 122, 0.22, 0.12, 0.35], 'more']]).head).toBe(
      'v2 hands off 22% more leads (95% interval +12% to +35%)',
    );
  });

  it('says about as many hand-offs when the interval holds no change', () => {
    expect(words([['handOffs', [100, 102, 0.02, -0.04, 0.08], 'no-difference']]).head).toBe(
      'v2 hands off about as many leads as v1 (+2%, 95% interval -4% to +8%)',
    );
  });

  it('says why hand-offs cannot be compared when the baseline handed off none', () => {
    expect(words([['handOffs', [0, 12, null, null, null], 'unknown']]).head).toBe(
      'hand-offs of v2 and v1 cannot be compared (v1 handed off no lead)',
    );
  });

  it('keeps the sign of an interval end that rounds to zero points', () => {
    const { measures } = words([['precision', [0.4, 0.387, -0.013, -0.051, -0.0004], 'worse']]);
    expect(measures[0]!.text).toBe('worse precision (-1.3 points, 95% interval -5.1 to -0.04)');
  });

  it('blames too few resolved leads when the outcomes are there but not enough of them', () => {
    const { measures } = words([['recall', [null, null, null, null, null], 'unknown']], 12);
    expect(measures[0]!.text).toBe('recall unknown (too few leads with an outcome)');
  });
});
