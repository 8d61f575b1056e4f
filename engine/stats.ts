/**
 * Uncertainty of replay metrics: 95% intervals for rates and AUCs, and paired
 * comparisons of two rule-set versions judged on the same leads. Pure and
 * deterministic like the rest of the engine: the bootstrap draws from a seeded
 * generator, so the same inputs and seed give the same numbers, byte for byte.
 */

/** A 95% interval; null bounds when there is nothing to estimate from. */
export interface Interval {
  low: number | null;
  high: number | null;
}

/** The standard normal quantile of 0.975: a two-sided 95% interval is ±Z95 standard errors. */
export const Z95 = 1.959963984540054;

const NO_INTERVAL: Interval = { low: null, high: null };
const LOWER_QUANTILE = 0.025;
const UPPER_QUANTILE = 0.975;
const DEFAULT_DRAWS = 2000;
const DEFAULT_SEED = 1;

// Kept here rather than imported from metrics.ts: the metrics will import this module, and a way back would make a cycle.
function share(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

function clampToUnit(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** `estimate ± Z95·standardError`, kept within [0, 1] as every estimate here is a probability. */
function normalInterval(estimate: number, standardError: number): Interval {
  return { low: clampToUnit(estimate - Z95 * standardError), high: clampToUnit(estimate + Z95 * standardError) };
}

/** Wilson score interval for k successes of n (95% unless another z is given); null bounds for n = 0, clamped to [0, 1]. */
export function wilson(k: number, n: number, z: number = Z95): Interval {
  if (!(n >= 0 && k >= 0 && k <= n)) throw new RangeError(`wilson needs 0 ≤ k ≤ n, got k = ${k}, n = ${n}`);
  if (n === 0) return NO_INTERVAL;
  const p = k / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const halfWidth = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: clampToUnit(centre - halfWidth), high: clampToUnit(centre + halfWidth) };
}

/** AUC (Mann–Whitney, ties counting half) with its DeLong variance; null auc and variance when either class is empty. */
export interface AucEstimate {
  auc: number | null;
  variance: number | null;
  positives: number;
  negatives: number;
  /** auc ± Z95·√variance, clamped to [0, 1]. */
  interval: Interval;
}

/**
 * DeLong's structural components: for each positive, the share of negatives it
 * outscores (V10); for each negative, the share of positives that outscore it
 * (V01); ties count half. Each array follows the leads' order within its class,
 * so two score vectors of the same leads give components that pair up.
 */
interface Components {
  auc: number;
  v10: Float64Array;
  v01: Float64Array;
}

function checkPaired(length: number, positive: ArrayLike<boolean>): void {
  if (length !== positive.length) throw new RangeError(`${length} scores but ${positive.length} labels`);
}

function classSizes(positive: ArrayLike<boolean>): { positives: number; negatives: number } {
  let positives = 0;
  for (let i = 0; i < positive.length; i++) if (positive[i]) positives++;
  return { positives, negatives: positive.length - positives };
}

/** The components in O(N log N): one walk over the leads sorted by score, a group of equal scores at a time. */
function components(scores: ArrayLike<number>, positive: ArrayLike<boolean>, positives: number, negatives: number): Components {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  for (const i of order) if (Number.isNaN(scores[i])) throw new RangeError(`score ${i} is NaN`);
  order.sort((a, b) => scores[a]! - scores[b]! || a - b);
  // A lead's place within its class, so the components come out in input order.
  const place = new Int32Array(scores.length);
  let positivesPlaced = 0;
  let negativesPlaced = 0;
  for (let i = 0; i < scores.length; i++) place[i] = positive[i] ? positivesPlaced++ : negativesPlaced++;

  const v10 = new Float64Array(positives);
  const v01 = new Float64Array(negatives);
  let positivesBelow = 0;
  let negativesBelow = 0;
  // Summed as whole and half counts, exact, and divided once: the same number roc() in metrics.ts gets from rank sums.
  let outscoredPairs = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    let groupPositives = 0;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) {
      if (positive[order[end]!]) groupPositives++;
      end++;
    }
    const groupNegatives = end - start - groupPositives;
    for (let k = start; k < end; k++) {
      const lead = order[k]!;
      if (positive[lead]) {
        const beaten = negativesBelow + groupNegatives / 2;
        outscoredPairs += beaten;
        v10[place[lead]!] = beaten / negatives;
      } else {
        v01[place[lead]!] = (positives - positivesBelow - groupPositives / 2) / positives;
      }
    }
    positivesBelow += groupPositives;
    negativesBelow += groupNegatives;
    start = end;
  }
  return { auc: outscoredPairs / (positives * negatives), v10, v01 };
}

/** Sample variance (n − 1 denominator); 0 for a single value, whose spread the formula cannot see. */
function sampleVariance(values: Float64Array): number {
  if (values.length < 2) return 0;
  let sum = 0;
  for (const value of values) sum += value;
  const mean = sum / values.length;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return squares / (values.length - 1);
}

function difference(a: Float64Array, b: Float64Array): Float64Array {
  return b.map((value, i) => value - a[i]!);
}

function aucEstimate(parts: Components | null, positives: number, negatives: number): AucEstimate {
  if (parts === null) return { auc: null, variance: null, positives, negatives, interval: NO_INTERVAL };
  const variance = sampleVariance(parts.v10) / positives + sampleVariance(parts.v01) / negatives;
  return { auc: parts.auc, variance, positives, negatives, interval: normalInterval(parts.auc, Math.sqrt(variance)) };
}

/** AUC of `scores` against `positive` (true = won) on the same leads, with DeLong's variance and a 95% interval. */
export function delongAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): AucEstimate {
  checkPaired(scores.length, positive);
  const { positives, negatives } = classSizes(positive);
  const parts = positives === 0 || negatives === 0 ? null : components(scores, positive, positives, negatives);
  return aucEstimate(parts, positives, negatives);
}

/** Paired DeLong comparison of two score vectors on the same leads: b − a with its standard error, 95% interval and p-value. */
export interface PairedAuc {
  a: AucEstimate;
  b: AucEstimate;
  difference: number | null;
  standardError: number | null;
  interval: Interval;
  /**
   * Two-sided, from difference / standardError. With a standard error of 0 a
   * zero difference gets 1, and any other difference null: the normal
   * approximation has broken down (a class of one lead, or a perfect split),
   * and a p-value of 0 would claim a certainty the leads cannot give.
   */
  pValue: number | null;
}

/** DeLong's test of two versions' AUCs on the same leads (DeLong, DeLong & Clarke-Pearson 1988), `scoresB` against `scoresA`. */
export function pairedDelong(scoresA: ArrayLike<number>, scoresB: ArrayLike<number>, positive: ArrayLike<boolean>): PairedAuc {
  checkPaired(scoresA.length, positive);
  checkPaired(scoresB.length, positive);
  const { positives, negatives } = classSizes(positive);
  if (positives === 0 || negatives === 0) {
    const none = aucEstimate(null, positives, negatives);
    return { a: none, b: none, difference: null, standardError: null, interval: NO_INTERVAL, pValue: null };
  }
  const partsA = components(scoresA, positive, positives, negatives);
  const partsB = components(scoresB, positive, positives, negatives);
  // Var(B − A) = (S10_aa + S10_bb − 2·S10_ab)/m + (S01_aa + S01_bb − 2·S01_ab)/n, which is the sample variance of the
  // paired differences of the components; computed that way, identical versions give exactly 0.
  const variance =
    sampleVariance(difference(partsA.v10, partsB.v10)) / positives + sampleVariance(difference(partsA.v01, partsB.v01)) / negatives;
  const diff = partsB.auc - partsA.auc;
  const standardError = Math.sqrt(variance);
  const pValue = standardError > 0 ? normalTwoSidedP(diff / standardError) : diff === 0 ? 1 : null;
  return {
    a: aucEstimate(partsA, positives, negatives),
    b: aucEstimate(partsB, positives, negatives),
    difference: diff,
    standardError,
    // A difference of AUCs lies in [−1, 1].
    interval: { low: Math.max(-1, diff - Z95 * standardError), high: Math.min(1, diff + Z95 * standardError) },
    pValue,
  };
}

/** mulberry32: a small, fast generator of uniform numbers in [0, 1) from an integer seed (taken modulo 2^32). */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform number in (0, 1], safe to take the logarithm of. */
function openUniform(random: () => number): number {
  return 1 - random();
}

/** A standard normal sample by Box–Muller (one of the pair; gamma() has nowhere to keep the other). */
function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(openUniform(random))) * Math.cos(2 * Math.PI * random());
}

/** A Gamma(shape, 1) sample by Marsaglia & Tsang (2000), with their boost for shape < 1; deterministic for a given `random`. */
export function gamma(shape: number, random: () => number): number {
  if (!(shape > 0 && Number.isFinite(shape))) throw new RangeError(`gamma shape must be positive and finite, got ${shape}`);
  if (shape < 1) return gamma(shape + 1, random) * openUniform(random) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = openUniform(random);
    // The cheap squeeze accepts most samples before the logarithms are needed.
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Linear interpolation between order statistics (Hyndman & Fan type 7, R's default). */
function quantile(sorted: Float64Array, probability: number): number {
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

/**
 * How many Dirichlet draws a bootstrap makes (default 2000), the seed of its
 * generator (default 1), and a prior count added to every category of the
 * draws (default 0): with 0.5 (Jeffreys), a category holding one lead is
 * sometimes drawn nearly empty, so a handful of leads gives wide intervals.
 */
export interface BootstrapOptions {
  draws?: number;
  seed?: number;
  prior?: number;
}

/**
 * Bayesian bootstrap (Rubin 1981) over counts of categories: each draw gives
 * the categories Dirichlet(counts) weights (summing to 1; a category with count
 * 0 gets weight 0), which is the bootstrap of the individual leads grouped by
 * category. Returns the 2.5% and 97.5% quantiles of `statistic(weights)` over
 * the draws where it is finite, and `draws`, how many those were; null bounds
 * when none was. Defaults: 2000 draws, seed 1.
 */
export function bootstrapInterval(
  counts: readonly number[],
  statistic: (weights: Float64Array) => number | null,
  options: BootstrapOptions = {},
): Interval & { draws: number } {
  const { draws = DEFAULT_DRAWS, seed = DEFAULT_SEED, prior = 0 } = options;
  if (!(Number.isInteger(draws) && draws > 0)) throw new RangeError(`draws must be a positive integer, got ${draws}`);
  if (!(prior >= 0 && Number.isFinite(prior))) throw new RangeError(`prior must be a non-negative number, got ${prior}`);
  counts.forEach((count, i) => {
    if (!(count >= 0 && Number.isFinite(count))) throw new RangeError(`count ${i} must be a non-negative number, got ${count}`);
  });
  if (prior > 0) counts = counts.map((count) => count + prior);
  if (!counts.some((count) => count > 0)) return { ...NO_INTERVAL, draws: 0 };

  const random = seededRandom(seed);
  const values = new Float64Array(draws);
  let finite = 0;
  for (let draw = 0; draw < draws; draw++) {
    const weights = new Float64Array(counts.length);
    let total = 0;
    counts.forEach((count, i) => {
      if (count === 0) return;
      weights[i] = gamma(count, random);
      total += weights[i]!;
    });
    for (let i = 0; i < weights.length; i++) weights[i]! /= total;
    const value = statistic(weights);
    if (value !== null && Number.isFinite(value)) values[finite++] = value;
  }
  if (finite === 0) return { ...NO_INTERVAL, draws: 0 };
  const sorted = values.subarray(0, finite).sort();
  return { low: quantile(sorted, LOWER_QUANTILE), high: quantile(sorted, UPPER_QUANTILE), draws: finite };
}

// Numerical Recipes' erfcc (Chebyshev fit), fractional error below 1.2e-7 everywhere.
const ERFC_COEFFICIENTS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
];

function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  let polynomial = 0;
  for (let i = ERFC_COEFFICIENTS.length - 1; i >= 0; i--) polynomial = ERFC_COEFFICIENTS[i]! + t * polynomial;
  const value = t * Math.exp(-x * x + polynomial);
  return x >= 0 ? value : 2 - value;
}

/** Two-sided p-value of a standard normal statistic, P(|Z| ≥ |z|), to about 1e-7 relative accuracy. */
export function normalTwoSidedP(z: number): number {
  // The fit gives 1 + 3e-8 at 0; a probability stays at most 1.
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

const HANDED_A = 4;
const HANDED_B = 2;
const WON = 1;
const CELLS = 8;

/** Cells of a paired 2-version classification: index = (handedA ? 4 : 0) + (handedB ? 2 : 0) + (won ? 1 : 0). */
export function pairedCell(handedA: boolean, handedB: boolean, won: boolean): number {
  return (handedA ? HANDED_A : 0) + (handedB ? HANDED_B : 0) + (won ? WON : 0);
}

/** One rate of two versions on the same leads: point estimates from the counts, and the bootstrap interval of b − a. */
export interface PairedRate {
  a: number | null;
  b: number | null;
  difference: number | null;
  interval: Interval;
}

/** Precision, recall and share of leads handed off, of two versions on the same leads. */
export interface PairedRates {
  precision: PairedRate;
  recall: PairedRate;
  handOffShare: PairedRate;
}

type Version = 'a' | 'b';
/** A rate of one version from cell counts or weights. */
type CellRate = (cells: ArrayLike<number>, version: Version) => number | null;

function sumCells(cells: ArrayLike<number>, include: (cell: number) => boolean): number {
  let sum = 0;
  for (let cell = 0; cell < CELLS; cell++) if (include(cell)) sum += cells[cell]!;
  return sum;
}

function handed(cell: number, version: Version): boolean {
  return (cell & (version === 'a' ? HANDED_A : HANDED_B)) !== 0;
}

function won(cell: number): boolean {
  return (cell & WON) !== 0;
}

const precision: CellRate = (cells, version) =>
  share(
    sumCells(cells, (cell) => handed(cell, version) && won(cell)),
    sumCells(cells, (cell) => handed(cell, version)),
  );
const recall: CellRate = (cells, version) =>
  share(
    sumCells(cells, (cell) => handed(cell, version) && won(cell)),
    sumCells(cells, won),
  );
const handOffShare: CellRate = (cells, version) =>
  share(
    sumCells(cells, (cell) => handed(cell, version)),
    sumCells(cells, () => true),
  );

function versionDifference(rate: CellRate, cells: ArrayLike<number>): number | null {
  const a = rate(cells, 'a');
  const b = rate(cells, 'b');
  return a === null || b === null ? null : b - a;
}

function pairedRate(rate: CellRate, cells: readonly number[], options: BootstrapOptions): PairedRate {
  const { low, high } = bootstrapInterval(cells, (weights) => versionDifference(rate, weights), options);
  return { a: rate(cells, 'a'), b: rate(cells, 'b'), difference: versionDifference(rate, cells), interval: { low, high } };
}

/** Paired precision, recall and hand-off share of versions A and B from the 8 {@link pairedCell} counts, with bootstrap intervals of B − A. */
export function pairedRates(cells: readonly number[], options: BootstrapOptions = {}): PairedRates {
  if (cells.length !== CELLS) throw new RangeError(`pairedRates needs ${CELLS} cell counts, got ${cells.length}`);
  return {
    precision: pairedRate(precision, cells, options),
    recall: pairedRate(recall, cells, options),
    handOffShare: pairedRate(handOffShare, cells, options),
  };
}
