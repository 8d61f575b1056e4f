import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roc } from '../../engine/metrics';
import {
  bootstrapInterval,
  delongAuc,
  gamma,
  normalTwoSidedP,
  pairedCell,
  pairedDelong,
  pairedRates,
  seededRandom,
  wilson,
  Z95,
} from '../../engine/stats';

const z2 = Z95 * Z95;

/** Scores and labels of leads given as positives' and negatives' scores, positives first. */
function labelled(positives: number[], negatives: number[]): { scores: number[]; positive: boolean[] } {
  return {
    scores: [...positives, ...negatives],
    positive: [...positives.map(() => true), ...negatives.map(() => false)],
  };
}

/** The Mann–Whitney kernel: 1 when the positive outscores the negative, a half for a tie. */
function psi(positiveScore: number, negativeScore: number): number {
  return positiveScore > negativeScore ? 1 : positiveScore === negativeScore ? 0.5 : 0;
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function covariance(x: number[], y: number[]): number {
  if (x.length < 2) return 0;
  const mx = mean(x);
  const my = mean(y);
  return x.reduce((sum, value, i) => sum + (value - mx) * (y[i]! - my), 0) / (x.length - 1);
}

function sampleMean(samples: Float64Array): number {
  return samples.reduce((sum, value) => sum + value, 0) / samples.length;
}

function sampleVariance(samples: Float64Array): number {
  const m = sampleMean(samples);
  return samples.reduce((sum, value) => sum + (value - m) ** 2, 0) / (samples.length - 1);
}

describe('Wilson interval', () => {
  it('gives 8 of 10 the score interval of the formula', () => {
    // centre = (p + z²/2n) / (1 + z²/n), half width = z/(1 + z²/n) · √(p(1 − p)/n + z²/4n²), with p = 0.8, n = 10.
    const centre = (0.8 + z2 / 20) / (1 + z2 / 10);
    const halfWidth = (Z95 / (1 + z2 / 10)) * Math.sqrt(0.016 + z2 / 400);
    const { low, high } = wilson(8, 10);
    expect(low).toBeCloseTo(centre - halfWidth, 12);
    expect(high).toBeCloseTo(centre + halfWidth, 12);
    // The published values for 8 of 10.
    expect(low).toBeCloseTo(0.4902, 4);
    expect(high).toBeCloseTo(0.9433, 4);
  });

  it('gives 0 of 5 an interval from 0 to z²/(n + z²)', () => {
    const { low, high } = wilson(0, 5);
    expect(low).toBeCloseTo(0, 12);
    expect(high).toBeCloseTo(z2 / (5 + z2), 12);
  });

  it('gives 5 of 5 an interval from n/(n + z²) to 1', () => {
    const { low, high } = wilson(5, 5);
    expect(low).toBeCloseTo(5 / (5 + z2), 12);
    expect(high).toBeCloseTo(1, 12);
  });

  it('has nothing to estimate from 0 of 0', () => {
    expect(wilson(0, 0)).toEqual({ low: null, high: null });
  });

  it('refuses more successes than trials', () => {
    expect(() => wilson(3, 2)).toThrow(RangeError);
  });
});

describe('DeLong AUC', () => {
  // Positives 0.8, 0.6, 0.4 against negatives 0.7, 0.4, 0.1.
  // V10 (share of negatives each positive beats): 0.8 → 3/3, 0.6 → 2/3, 0.4 → (0.5 + 1)/3 = 1/2.
  // V01 (share of positives beating each negative): 0.7 → 1/3, 0.4 → (2 + 0.5)/3 = 5/6, 0.1 → 3/3.
  // AUC = mean V10 = mean V01 = 13/18.
  // S10 = ((5/18)² + (1/18)² + (4/18)²)/2 = 42/648 = 7/108; S01 = ((7/18)² + (2/18)² + (5/18)²)/2 = 78/648 = 13/108.
  // Variance = S10/3 + S01/3 = 20/324 = 5/81.
  const example = labelled([0.8, 0.6, 0.4], [0.7, 0.4, 0.1]);

  it('gives the Mann–Whitney AUC and DeLong variance of a hand-worked example', () => {
    const estimate = delongAuc(example.scores, example.positive);
    expect(estimate.auc).toBeCloseTo(13 / 18, 14);
    expect(estimate.variance).toBeCloseTo(5 / 81, 14);
    expect(estimate).toMatchObject({ positives: 3, negatives: 3 });
    expect(estimate.interval.low).toBeCloseTo(13 / 18 - Z95 * Math.sqrt(5 / 81), 12);
    expect(estimate.interval.high).toBe(1);
  });

  it('does not depend on the order of the leads', () => {
    const reversed = delongAuc([...example.scores].reverse(), [...example.positive].reverse());
    expect(reversed.auc).toBeCloseTo(13 / 18, 14);
    expect(reversed.variance).toBeCloseTo(5 / 81, 14);
  });

  it('gives a single positive no variance term of its own', () => {
    // V10 = (1 + 0.5 + 0)/3 has no spread with one positive; V01 = 1, 1/2, 0 has S01 = 1/4, so the variance is (1/4)/3.
    const { scores, positive } = labelled([0.5], [0.2, 0.5, 0.9]);
    const estimate = delongAuc(scores, positive);
    expect(estimate.auc).toBe(0.5);
    expect(estimate.variance).toBeCloseTo(1 / 12, 14);
  });

  it('has nothing to estimate from when a class is empty', () => {
    expect(delongAuc([0.3, 0.9], [true, true])).toEqual({
      auc: null,
      variance: null,
      positives: 2,
      negatives: 0,
      interval: { low: null, high: null },
    });
  });

  it('agrees with the replay metrics’ AUC on any leads', () => {
    const leadsArb = fc.array(fc.record({ score: fc.integer({ min: -5, max: 20 }), won: fc.boolean() }), { maxLength: 60 });
    fc.assert(
      fc.property(leadsArb, (leads) => {
        const estimate = delongAuc(
          leads.map((lead) => lead.score),
          leads.map((lead) => lead.won),
        );
        expect(estimate.auc).toBe(roc(leads).auc);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses scores and labels of different lengths', () => {
    expect(() => delongAuc([1, 2, 3], [true, false])).toThrow(RangeError);
  });
});

describe('paired DeLong comparison', () => {
  /** Var(B − A) from the covariance matrices of the components, computed pair by pair. */
  function delongDifferenceVariance(scoresA: number[], scoresB: number[], positive: boolean[]): number {
    const pos = positive.flatMap((p, i) => (p ? [i] : []));
    const neg = positive.flatMap((p, i) => (p ? [] : [i]));
    const v10 = (s: number[]) => pos.map((i) => mean(neg.map((j) => psi(s[i]!, s[j]!))));
    const v01 = (s: number[]) => neg.map((j) => mean(pos.map((i) => psi(s[i]!, s[j]!))));
    const [a10, b10, a01, b01] = [v10(scoresA), v10(scoresB), v01(scoresA), v01(scoresB)];
    const s10 = covariance(a10, a10) + covariance(b10, b10) - 2 * covariance(a10, b10);
    const s01 = covariance(a01, a01) + covariance(b01, b01) - 2 * covariance(a01, b01);
    return s10 / pos.length + s01 / neg.length;
  }

  const positive = [true, true, true, true, false, false, false, false, false];
  const scoresA = [0.9, 0.7, 0.5, 0.3, 0.8, 0.4, 0.3, 0.2, 0.1];
  const scoresB = [0.6, 0.9, 0.8, 0.2, 0.3, 0.7, 0.1, 0.2, 0.5];

  it('finds no difference and no spread between identical versions', () => {
    const paired = pairedDelong(scoresA, [...scoresA], positive);
    expect(paired.difference).toBe(0);
    expect(paired.standardError).toBe(0);
    expect(paired.interval).toEqual({ low: 0, high: 0 });
    expect(paired.pValue).toBe(1);
  });

  it('gives the variance of the difference DeLong’s covariance formula gives', () => {
    const paired = pairedDelong(scoresA, scoresB, positive);
    const variance = delongDifferenceVariance(scoresA, scoresB, positive);
    expect(variance).toBeGreaterThan(0);
    expect(paired.standardError! ** 2).toBeCloseTo(variance, 14);
    expect(paired.difference).toBeCloseTo(paired.b.auc! - paired.a.auc!, 14);
    expect(paired.a.auc).toBe(delongAuc(scoresA, positive).auc);
    expect(paired.b.variance).toBe(delongAuc(scoresB, positive).variance);
  });

  it('agrees with the covariance formula on any leads', () => {
    const leadsArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.boolean()), {
      minLength: 2,
      maxLength: 30,
    });
    fc.assert(
      fc.property(leadsArb, (leads) => {
        const [a, b, won] = [leads.map((l) => l[0]), leads.map((l) => l[1]), leads.map((l) => l[2])];
        fc.pre(won.includes(true) && won.includes(false));
        const paired = pairedDelong(a, b, won);
        expect(paired.standardError! ** 2).toBeCloseTo(delongDifferenceVariance(a, b, won), 12);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the two-sided p-value and 95% interval of difference / standard error', () => {
    const { difference, standardError, pValue, interval } = pairedDelong(scoresA, scoresB, positive);
    expect(pValue).toBe(normalTwoSidedP(difference! / standardError!));
    expect(interval.low).toBeCloseTo(difference! - Z95 * standardError!, 14);
    expect(interval.high).toBeCloseTo(difference! + Z95 * standardError!, 14);
  });

  it('gives no p-value for a difference with no spread to judge it by', () => {
    const paired = pairedDelong([1, 0], [0, 1], [true, false]);
    expect(paired).toMatchObject({ difference: -1, standardError: 0, pValue: null });
  });

  it('has nothing to compare when a class is empty', () => {
    expect(pairedDelong([1, 2], [2, 1], [false, false])).toMatchObject({ difference: null, standardError: null, pValue: null });
  });
});

describe('normal p-value', () => {
  it('gives 0.05 at the 97.5% quantile', () => {
    expect(Math.abs(normalTwoSidedP(1.959963984540054) - 0.05)).toBeLessThan(1e-6);
  });

  it('gives 1 at 0 and the same on both sides', () => {
    expect(normalTwoSidedP(0)).toBe(1);
    expect(normalTwoSidedP(-2.5)).toBe(normalTwoSidedP(2.5));
  });

  it('keeps its relative accuracy in the tail', () => {
    // 3.2905267314919255 is the two-sided 0.1% point; 4.891638475698845 the 1e-6 point.
    expect(normalTwoSidedP(3.2905267314919255) / 0.001).toBeCloseTo(1, 6);
    expect(normalTwoSidedP(4.891638475698845) / 1e-6).toBeCloseTo(1, 6);
  });
});

describe('seeded random numbers', () => {
  it('repeats its sequence for a seed and changes it with the seed', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws uniform numbers in [0, 1)', () => {
    const random = seededRandom(7);
    const samples = Float64Array.from({ length: 20_000 }, random);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(1);
    expect(sampleMean(samples)).toBeCloseTo(0.5, 2);
    expect(sampleVariance(samples)).toBeCloseTo(1 / 12, 2);
  });
});

describe('gamma sampling', () => {
  it.each([0.3, 1, 3, 40])('draws Gamma(%d) with mean and variance equal to the shape', (shape) => {
    const random = seededRandom(2024);
    const samples = Float64Array.from({ length: 20_000 }, () => gamma(shape, random));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    // Loose bounds, several standard errors wide; the seed is fixed, so the test is not flaky.
    expect(Math.abs(sampleMean(samples) / shape - 1)).toBeLessThan(0.05);
    expect(Math.abs(sampleVariance(samples) / shape - 1)).toBeLessThan(0.15);
  });

  it('refuses a shape that is not positive', () => {
    expect(() => gamma(0, seededRandom(1))).toThrow(RangeError);
  });
});

describe('Bayesian bootstrap interval', () => {
  const wonShare = (weights: Float64Array) => weights[1]!;

  it('gives the same interval, byte for byte, for the same seed', () => {
    const first = bootstrapInterval([30, 12, 0, 5], wonShare, { seed: 9 });
    const second = bootstrapInterval([30, 12, 0, 5], wonShare, { seed: 9 });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(Object.is(second.low, first.low) && Object.is(second.high, first.high)).toBe(true);
  });

  it('gives a different interval for a different seed', () => {
    const first = bootstrapInterval([30, 12, 0, 5], wonShare, { seed: 9 });
    const other = bootstrapInterval([30, 12, 0, 5], wonShare, { seed: 10 });
    expect(other.low).not.toBe(first.low);
    expect(other.high).not.toBe(first.high);
  });

  it('matches the Wilson interval of a simple proportion in a large sample', () => {
    const bootstrap = bootstrapInterval([700, 300], wonShare);
    const { low, high } = wilson(300, 1000);
    expect(bootstrap.draws).toBe(2000);
    expect(Math.abs(bootstrap.low! - low!)).toBeLessThan(0.01);
    expect(Math.abs(bootstrap.high! - high!)).toBeLessThan(0.01);
  });

  it('draws weights that sum to 1 and gives empty categories none', () => {
    const seen: Float64Array[] = [];
    bootstrapInterval(
      [4, 0, 2],
      (weights) => {
        seen.push(weights.slice());
        return 0;
      },
      { draws: 50 },
    );
    expect(seen).toHaveLength(50);
    for (const weights of seen) {
      expect(weights[1]).toBe(0);
      expect(weights[0]! + weights[1]! + weights[2]!).toBeCloseTo(1, 14);
    }
  });

  it('counts only the draws where the statistic is finite', () => {
    let draw = 0;
    const everyOther = (weights: Float64Array) => (draw++ % 2 === 0 ? weights[0]! : null);
    expect(bootstrapInterval([5, 5], everyOther, { draws: 100 }).draws).toBe(50);
    expect(bootstrapInterval([5, 5], () => Number.NaN, { draws: 100 })).toEqual({ low: null, high: null, draws: 0 });
  });

  it('has nothing to estimate from without counts', () => {
    expect(bootstrapInterval([0, 0], wonShare)).toEqual({ low: null, high: null, draws: 0 });
  });
});

describe('Bayesian bootstrap with a prior', () => {
  const share = (w: Float64Array) => w[0]!;

  it('draws as if every category held the prior count more', () => {
    const withPrior = bootstrapInterval([1, 3, 0], share, { prior: 0.5 });
    expect(withPrior).toEqual(bootstrapInterval([1.5, 3.5, 0.5], share));
  });

  it('gives an empty category a share, so four leads of one kind do not make a certainty', () => {
    expect(bootstrapInterval([0, 4], share)).toMatchObject({ low: 0, high: 0 });
    expect(bootstrapInterval([0, 4], share, { prior: 0.5 }).high!).toBeGreaterThan(0.1);
  });

  it('keeps the point estimates of paired rates on the counts themselves', () => {
    const cells = [3, 1, 0, 2, 0, 0, 1, 4];
    const withPrior = pairedRates(cells, { prior: 0.5 });
    const plain = pairedRates(cells);
    expect([withPrior.precision.a, withPrior.precision.b, withPrior.recall.difference]).toEqual([
      plain.precision.a,
      plain.precision.b,
      plain.recall.difference,
    ]);
    expect(withPrior.precision.interval).not.toEqual(plain.precision.interval);
  });

  it('refuses a negative prior', () => {
    expect(() => bootstrapInterval([1, 2], share, { prior: -1 })).toThrow(RangeError);
  });
});

describe('paired rates', () => {
  /** Leads of a replay as (handed off by A, handed off by B, won), repeated `times`. */
  type Lead = [handedA: boolean, handedB: boolean, won: boolean];
  const repeat = (lead: Lead, times: number): Lead[] => Array.from({ length: times }, () => lead);
  const leads: Lead[] = [
    ...repeat([false, false, false], 40),
    ...repeat([false, false, true], 5),
    ...repeat([false, true, false], 10),
    ...repeat([false, true, true], 6),
    ...repeat([true, false, false], 12),
    ...repeat([true, false, true], 2),
    ...repeat([true, true, false], 15),
    ...repeat([true, true, true], 10),
  ];

  function cellCounts(of: Lead[]): number[] {
    const cells = Array<number>(8).fill(0);
    for (const [handedA, handedB, won] of of) cells[pairedCell(handedA, handedB, won)]!++;
    return cells;
  }

  it('numbers the cells by hand-off of A, hand-off of B, then outcome', () => {
    expect(cellCounts(leads)).toEqual([40, 5, 10, 6, 12, 2, 15, 10]);
    expect(pairedCell(true, false, true)).toBe(5);
  });

  it('gives both versions’ precision, recall and hand-off share from the counts', () => {
    // A hands off 12 + 2 + 15 + 10 = 39 leads, 12 of them won; B hands off 10 + 6 + 15 + 10 = 41, 16 won; 23 of 100 won.
    const rates = pairedRates(cellCounts(leads));
    expect(rates.precision).toMatchObject({ a: 12 / 39, b: 16 / 41 });
    expect(rates.precision.difference).toBeCloseTo(16 / 41 - 12 / 39, 14);
    expect(rates.recall).toMatchObject({ a: 12 / 23, b: 16 / 23 });
    expect(rates.recall.difference).toBeCloseTo(4 / 23, 14);
    expect(rates.handOffShare).toMatchObject({ a: 0.39, b: 0.41 });
    expect(rates.handOffShare.difference).toBeCloseTo(0.02, 14);
  });

  it('gives each difference an interval that contains it', () => {
    const rates = pairedRates(cellCounts(leads));
    for (const rate of [rates.precision, rates.recall, rates.handOffShare]) {
      expect(rate.interval.low).toBeLessThan(rate.difference!);
      expect(rate.interval.high).toBeGreaterThan(rate.difference!);
    }
  });

  it('gives identical versions intervals that contain 0', () => {
    const same = cellCounts(leads.map(([handedA, , won]): Lead => [handedA, handedA, won]));
    const rates = pairedRates(same);
    for (const rate of [rates.precision, rates.recall, rates.handOffShare]) {
      expect(rate.difference).toBe(0);
      expect(rate.interval.low).toBeLessThanOrEqual(0);
      expect(rate.interval.high).toBeGreaterThanOrEqual(0);
    }
  });

  it('gives the interval a caller gets by bootstrapping precision B − precision A over the cells', () => {
    const precisionA = (w: Float64Array) => (w[5]! + w[7]!) / (w[4]! + w[5]! + w[6]! + w[7]!);
    const precisionB = (w: Float64Array) => (w[3]! + w[7]!) / (w[2]! + w[3]! + w[6]! + w[7]!);
    const cells = cellCounts(leads);
    const byCaller = bootstrapInterval(cells, (w) => precisionB(w) - precisionA(w));
    expect(byCaller.draws).toBe(2000);
    expect({ low: byCaller.low, high: byCaller.high }).toEqual(pairedRates(cells).precision.interval);
  });

  it('has no precision for a version that hands off nobody', () => {
    const rates = pairedRates([10, 3, 4, 2, 0, 0, 0, 0]);
    expect(rates.precision).toMatchObject({ a: null, b: 2 / 6, difference: null, interval: { low: null, high: null } });
  });

  it('refuses a table that is not 8 cells', () => {
    expect(() => pairedRates([1, 2, 3])).toThrow(RangeError);
  });
});
