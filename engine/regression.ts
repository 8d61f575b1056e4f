/**
 * L2-regularised logistic regression, fitted by Newton's method (iteratively
 * reweighted least squares) with ml-matrix's Cholesky decomposition.
 *
 * Why not ml-logistic-regression: it trains by a fixed number of plain
 * gradient steps (50,000 by default) at a fixed learning rate, with no
 * regularisation, no intercept of its own, no convergence test and no report
 * of whether it converged, so its answer depends on step settings that must be
 * tuned to each data set's scale. Newton's method on the penalised
 * log-likelihood, which is strictly concave, converges in a handful of
 * iterations to the one optimum, whatever the scale, and says when it has.
 *
 * The penalty is on coefficients of standardised features (each feature
 * divided by its standard deviation), so a count and a yes/no feature are
 * shrunk alike; the intercept is not penalised. Rows are sparse (most rules do
 * not fire for most leads), which keeps each iteration's cost to the sum over
 * rows of (non-zero features)².
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

/** One observation's features as (column, value) pairs; absent columns are 0. */
export type SparseRow = ReadonlyArray<readonly [column: number, value: number]>;

export interface LogisticOptions {
  /** Penalty weight on the squared coefficients of standardised features; 0 for none (then the data must not separate). */
  l2: number;
  maxIterations?: number;
  /** Converged when no standardised coefficient moves by more than this in an iteration. */
  tolerance?: number;
}

export const LOGISTIC_DEFAULTS = { maxIterations: 100, tolerance: 1e-9, maxStepHalvings: 40 } as const;

export interface LogisticModel {
  intercept: number;
  /** Per feature, per unit of the feature as given (not standardised); 0 for a feature constant in the data. */
  coefficients: number[];
  iterations: number;
  converged: boolean;
  /** Penalised log-likelihood at the fitted coefficients. */
  objective: number;
}

/** Standard deviation of each column over all rows, absent entries counting as 0. */
export function columnDeviations(rows: readonly SparseRow[], columns: number): number[] {
  const sum = new Float64Array(columns);
  const squares = new Float64Array(columns);
  for (const row of rows) {
    for (const [j, x] of row) {
      sum[j]! += x;
      squares[j]! += x * x;
    }
  }
  const n = rows.length;
  return Array.from(sum, (s, j) => {
    const variance = squares[j]! / n - (s / n) ** 2;
    return variance > 1e-12 * Math.max(1, squares[j]! / n) ? Math.sqrt(variance) : 0;
  });
}

/** Log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The linear predictor (log-odds) of one row. */
export function logit(model: Pick<LogisticModel, 'intercept' | 'coefficients'>, row: SparseRow): number {
  let z = model.intercept;
  for (const [j, x] of row) z += model.coefficients[j]! * x;
  return z;
}

/**
 * Fits P(outcome) = σ(b₀ + Σ bⱼ xⱼ) by maximising the log-likelihood minus
 * (l2 / 2) Σ (bⱼ sⱼ)², sⱼ the standard deviation of feature j. Deterministic:
 * the same rows give the same coefficients, bit for bit.
 */
export function fitLogistic(
  rows: readonly SparseRow[],
  outcomes: readonly boolean[],
  columns: number,
  options: LogisticOptions,
): LogisticModel {
  if (rows.length !== outcomes.length) throw new RangeError(`${rows.length} rows but ${outcomes.length} outcomes`);
  if (rows.length === 0) throw new RangeError('no rows to fit');
  const maxIterations = options.maxIterations ?? LOGISTIC_DEFAULTS.maxIterations;
  const tolerance = options.tolerance ?? LOGISTIC_DEFAULTS.tolerance;
  const deviations = columnDeviations(rows, columns);
  // Parameter 0 is the intercept; parameter k + 1 the k-th non-constant feature.
  const used = deviations.flatMap((s, j) => (s > 0 ? [j] : []));
  const position = new Int32Array(columns).fill(-1);
  used.forEach((j, k) => (position[j] = k + 1));
  const size = used.length + 1;
  const penalty = [0, ...used.map((j) => options.l2 * deviations[j]! ** 2)];
  const scale = [1, ...used.map((j) => deviations[j]!)];
  // Rows packed one after another (compressed sparse rows), each with the intercept's constant 1 in front, so one loop builds every sum.
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((row, i) => (offsets[i + 1] = offsets[i]! + 1 + row.filter(([j]) => position[j]! > 0).length));
  const index = new Int32Array(offsets[rows.length]!);
  const value = new Float64Array(offsets[rows.length]!);
  rows.forEach((row, i) => {
    let at = offsets[i]!;
    [index[at], value[at]] = [0, 1];
    for (const [j, x] of row) if (position[j]! > 0) [index[++at], value[at]] = [position[j]!, x];
  });
  const linear = (b: Float64Array, i: number): number => {
    let z = 0;
    for (let at = offsets[i]!; at < offsets[i + 1]!; at++) z += b[index[at]!]! * value[at]!;
    return z;
  };

  const objectiveAt = (b: Float64Array): number => {
    let total = 0;
    for (let i = 0; i < rows.length; i++) {
      const z = linear(b, i);
      total += (outcomes[i] ? z : 0) - softplus(z);
    }
    for (let k = 1; k < size; k++) total -= (penalty[k]! / 2) * b[k]! ** 2;
    return total;
  };

  let b = new Float64Array(size);
  let objective = objectiveAt(b);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !converged) {
    iterations++;
    // Gradient and negative Hessian (lower triangle) of the penalised log-likelihood.
    const gradient = new Float64Array(size);
    const lower = new Float64Array(size * size);
    for (let i = 0; i < rows.length; i++) {
      const p = sigmoid(linear(b, i));
      const residual = (outcomes[i] ? 1 : 0) - p;
      const weight = p * (1 - p);
      const end = offsets[i + 1]!;
      for (let at = offsets[i]!; at < end; at++) {
        const k = index[at]!;
        const x = value[at]!;
        gradient[k]! += residual * x;
        const wx = weight * x;
        for (let other = offsets[i]!; other < end; other++) {
          const l = index[other]!;
          if (l <= k) lower[k * size + l]! += wx * value[other]!;
        }
      }
    }
    const hessian = new Matrix(size, size);
    for (let k = 0; k < size; k++) {
      gradient[k]! -= penalty[k]! * b[k]!;
      hessian.set(k, k, lower[k * size + k]! + penalty[k]!);
      for (let l = 0; l < k; l++) {
        hessian.set(k, l, lower[k * size + l]!);
        hessian.set(l, k, lower[k * size + l]!);
      }
    }
    const cholesky = new CholeskyDecomposition(hessian);
    if (!cholesky.isPositiveDefinite()) throw new RangeError('the regression is singular: add regularisation (l2 > 0)');
    const step = cholesky.solve(Matrix.columnVector(Array.from(gradient))).to1DArray();

    // Newton's step, halved while it would lower the objective (near the optimum it never does).
    let moved = Infinity;
    for (let factor = 1, halving = 0; halving <= LOGISTIC_DEFAULTS.maxStepHalvings; halving++, factor /= 2) {
      const next = b.map((value, k) => value + factor * step[k]!);
      const nextObjective = objectiveAt(next);
      if (nextObjective < objective) continue;
      moved = Math.max(...step.map((s, k) => Math.abs(factor * s * scale[k]!)));
      b = next;
      objective = nextObjective;
      break;
    }
    // When no step keeps the objective up, it is already at its optimum, to rounding.
    converged = moved < tolerance || moved === Infinity;
  }

  const coefficients = new Array<number>(columns).fill(0);
  used.forEach((j, k) => (coefficients[j] = b[k + 1]!));
  return { intercept: b[0]!, coefficients, iterations, converged, objective };
}
