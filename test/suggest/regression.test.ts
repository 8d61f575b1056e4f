import { describe, expect, it } from 'vitest';
import { columnDeviations, fitLogistic, logit, type SparseRow } from '../../engine/regression';
import { random } from './fixtures';

/** Rows of three features (a yes/no, a count, pure noise) and outcomes drawn from known log-odds. */
function sample(n: number, seed: number, truth: { intercept: number; coefficients: number[] }) {
  const next = random(seed);
  const rows: SparseRow[] = [];
  const outcomes: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const x = [next() < 0.4 ? 1 : 0, Math.floor(next() * 5), next() * 2 - 1];
    const z = truth.intercept + x.reduce((sum, value, j) => sum + truth.coefficients[j]! * value, 0);
    rows.push(x.flatMap((value, j) => (value === 0 ? [] : [[j, value] as const])));
    outcomes.push(next() < 1 / (1 + Math.exp(-z)));
  }
  return { rows, outcomes };
}

const truth = { intercept: -0.5, coefficients: [1.5, -0.6, 0] };

describe('L2-regularised logistic regression', () => {
  it('recovers known coefficients: signs, order and size', () => {
    const { rows, outcomes } = sample(20_000, 1, truth);
    const model = fitLogistic(rows, outcomes, 3, { l2: 0.01 });
    expect(model.converged).toBe(true);
    expect(model.iterations).toBeLessThan(15);
    // Within about three standard errors at this sample size.
    expect(Math.abs(model.coefficients[0]! - 1.5)).toBeLessThan(0.1);
    expect(Math.abs(model.coefficients[1]! + 0.6)).toBeLessThan(0.05);
    expect(Math.abs(model.coefficients[2]!)).toBeLessThan(0.1);
    expect(Math.abs(model.intercept + 0.5)).toBeLessThan(0.1);
  });

  it('stops where the penalised gradient is zero', () => {
    const { rows, outcomes } = sample(2_000, 2, truth);
    const l2 = 5;
    const model = fitLogistic(rows, outcomes, 3, { l2 });
    const deviations = columnDeviations(rows, 3);
    const gradient = [0, 0, 0];
    let interceptGradient = 0;
    rows.forEach((row, i) => {
      const residual = (outcomes[i] ? 1 : 0) - 1 / (1 + Math.exp(-logit(model, row)));
      interceptGradient += residual;
      for (const [j, x] of row) gradient[j]! += residual * x;
    });
    expect(Math.abs(interceptGradient)).toBeLessThan(1e-6);
    gradient.forEach((g, j) => expect(Math.abs(g - l2 * deviations[j]! ** 2 * model.coefficients[j]!)).toBeLessThan(1e-6));
  });

  it('shrinks coefficients as the penalty grows', () => {
    const { rows, outcomes } = sample(2_000, 3, truth);
    const sizes = [0.1, 100, 10_000].map((l2) => Math.abs(fitLogistic(rows, outcomes, 3, { l2 }).coefficients[0]!));
    expect(sizes[0]).toBeGreaterThan(sizes[1]!);
    expect(sizes[1]).toBeGreaterThan(sizes[2]!);
  });

  it('gives finite coefficients on data a feature separates perfectly', () => {
    const rows: SparseRow[] = Array.from({ length: 100 }, (_, i) => (i % 2 ? [[0, 1]] : []));
    const outcomes = rows.map((row) => row.length > 0);
    const model = fitLogistic(rows, outcomes, 1, { l2: 1 });
    expect(model.converged).toBe(true);
    expect(Number.isFinite(model.coefficients[0])).toBe(true);
    expect(model.coefficients[0]).toBeGreaterThan(2);
  });

  it('gives 0 to a feature that never varies, and refuses to fit nothing', () => {
    const rows: SparseRow[] = [
      [[1, 1]],
      [
        [0, 1],
        [1, 1],
      ],
      [[1, 1]],
      [
        [0, 1],
        [1, 1],
      ],
    ];
    const model = fitLogistic(rows, [false, true, false, false], 2, { l2: 1 });
    expect(model.coefficients[1]).toBe(0);
    expect(() => fitLogistic([], [], 2, { l2: 1 })).toThrow(RangeError);
  });

  it('is deterministic: the same rows give the same model, bit for bit', () => {
    const { rows, outcomes } = sample(1_000, 4, truth);
    expect(JSON.stringify(fitLogistic(rows, outcomes, 3, { l2: 1 }))).toBe(JSON.stringify(fitLogistic(rows, outcomes, 3, { l2: 1 })));
  });
});
