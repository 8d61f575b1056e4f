/**
 * Suggesting points from history: fits a regularised logistic regression of
 * each resolved lead's outcome on what candidate rules gave the lead, and
 * turns the coefficients into a new rule set that is still a plain, editable
 * points table.
 *
 * Candidates are the parent's own scoring rules and new ones generated from
 * the training leads' history (candidates.ts). The regression learns only what
 * the parent could have known: a lead's features are what each candidate
 * contributed at the point where replay judges the parent (its hand-off
 * within the horizon, else after the lead's last event within it), decay
 * included, outcome events never applied (features.ts). So the outcome labels
 * a lead and nothing else, and every AUC in the report is on the one basis
 * replay compares versions on.
 *
 * Leads are split into training and hold-out parts, stratified by outcome, by
 * a seeded shuffle of the sorted lead ids. Everything is deterministic: the
 * same history, rule set and options give the same rule set and report.
 */
import { atThreshold, thresholdCurve, type ThresholdCurve } from './whatif';
import { fitLogistic, logit, type SparseRow } from './regression';
import { CANDIDATE_CHOICES, candidateRules, quantile, type Candidate } from './candidates';
import { checkHorizon, judgedHistory, probeFeatures } from './features';
import { byCodeUnit } from './order';
import { DEFAULT_HORIZON_DAYS, replay, type ReplayResult } from './replay';
import { loadRuleSet, formatProblem, type CompiledRuleSet } from './ruleset';
import type { RuleSetInput, ScoringRule } from './schema';
import { delongAuc, type AucEstimate } from './stats';
import type { LeadEvent } from './types';

export { featureRows } from './features';

/** The method's fixed choices; options override the first four. */
export const SUGGEST_DEFAULTS = {
  /** Share of resolved leads held out to measure the result, stratified by outcome. */
  holdOut: 0.3,
  seed: 1,
  /** Weight of the L2 penalty on standardised coefficients. */
  l2: 1,
  /** Days after a lead's first event (outcomes aside) within which a hand-off counts and after which it is judged, as in replay. */
  horizonDays: DEFAULT_HORIZON_DAYS,
  /** Points are scaled so that the largest rule gives this many (plus or minus). */
  largestPoints: 50,
  /** The hand-off threshold while the table's own is chosen: out of reach, so the table's score highs run to the horizon. */
  probeThreshold: 1e12,
  /** Warm starts at this quantile of the training scores below the MQL threshold. */
  warmQuantile: 0.5,
  ...CANDIDATE_CHOICES,
} as const;

export interface SuggestOptions {
  /** Version name of the new rule set (the next free one). */
  version: string;
  holdOut?: number;
  seed?: number;
  l2?: number;
  /** The replay horizon in days: where leads are judged, for the features and for every AUC. */
  horizonDays?: number;
  /** Attribute and event-property names never turned into rules (identifiers, say). */
  ignore?: readonly string[];
  /** What the history is, for the note (e.g. a file name). */
  source?: string;
}

/**
 * AUCs of one part of the leads (hold-out or training), each with its DeLong
 * 95% interval, all as replay judges: the parent and the table replayed as
 * written, each at its own hand-off within the horizon or else after the
 * lead's last event within it; the regression on the features it was fitted
 * on, taken where replay judges the parent.
 */
export interface AucReport {
  leads: { won: number; lost: number };
  original: AucEstimate;
  regression: AucEstimate;
  pointsTable: AucEstimate;
}

export interface SuggestReport {
  from: string;
  version: string;
  events: number;
  period: { firstEventAt: string | null; lastEventAt: string | null };
  leads: { total: number; open: number };
  /** The replay horizon the features and every AUC are judged with. */
  horizonDays: number;
  candidates: number;
  /** Candidates left after dropping those that never or always hold and exact duplicates. */
  features: number;
  rules: { kept: number; droppedFromParent: string[] };
  regression: { l2: number; iterations: number; converged: boolean };
  /** Points per unit of log-odds. */
  pointsPerLogit: number;
  thresholds: { mql: number; hot: number; warm: number; reactivation: number };
  /** Training (what the points were learnt from) and hold-out (what measures them). */
  auc: { holdOut: AucReport; training: AucReport };
}

export interface Suggestion {
  /** The new rule set, ready to write as rules/<version>.json. */
  ruleSet: RuleSetInput;
  report: SuggestReport;
}

/** A history suggest cannot learn from, refused before fitting; `code` says why. */
export class SuggestError extends Error {
  override name = 'SuggestError';
  constructor(
    readonly code: 'one-outcome' | 'too-few-leads',
    message: string,
  ) {
    super(message);
  }
}

/** Refuses a history whose resolved leads are all won or all lost: there is nothing to tell apart. */
function checkBothOutcomes(outcomes: ReadonlyMap<string, boolean>): void {
  const won = [...outcomes.values()].filter(Boolean).length;
  const lost = outcomes.size - won;
  if (won > 0 && lost > 0) return;
  const need = 'suggest needs both outcomes to learn what separates them';
  if (outcomes.size === 0)
    throw new SuggestError(
      'one-outcome',
      `the history has no won or lost leads: ${need}; import the outcomes of past leads (deal_won and deal_lost events), or suggest from a history that has them`,
    );
  const [has, missing] = won > 0 ? [`${won} won`, 'lost'] : [`${lost} lost`, 'won'];
  const leads = outcomes.size === 1 ? 'lead' : 'leads';
  throw new SuggestError(
    'one-outcome',
    `the history has ${has} ${leads} and no ${missing} ones: ${need}; import the ${missing} deals (deal_${missing} events) as well, or suggest from a history that has both`,
  );
}

/** A small seeded PRNG (mulberry32): the split must not depend on Math.random. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Holds out `share` of the won and of the lost leads, chosen by a seeded shuffle of their sorted ids. */
export function stratifiedHoldOut(outcomes: ReadonlyMap<string, boolean>, share: number, seed: number): Set<string> {
  const next = random(seed);
  const held = new Set<string>();
  for (const won of [true, false]) {
    const ids = [...outcomes].filter(([, result]) => result === won).map(([id]) => id);
    ids.sort(byCodeUnit);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    for (const id of ids.slice(0, Math.round(share * ids.length))) held.add(id);
  }
  return held;
}

function compiled(definition: RuleSetInput, what: string): CompiledRuleSet {
  const loaded = loadRuleSet(definition);
  if (!loaded.ok) throw new Error(`the ${what} rule set does not load:\n${loaded.problems.map(formatProblem).join('\n')}`);
  return loaded.ruleSet;
}

/** Columns whose values over the rows repeat an earlier column's exactly; only the first of each group is fitted. */
function duplicateColumns(rows: readonly SparseRow[], columns: number): Set<number> {
  const entries: string[][] = Array.from({ length: columns }, () => []);
  rows.forEach((row, i) => {
    for (const [j, x] of row) entries[j]!.push(`${i}:${x}`);
  });
  const seen = new Set<string>();
  const duplicates = new Set<number>();
  entries.forEach((list, j) => {
    const key = list.join(',');
    if (seen.has(key)) duplicates.add(j);
    else seen.add(key);
  });
  return duplicates;
}

/**
 * Moves a constant within each attribute's rules so that the lowest gives 0:
 * where every training lead is under exactly one of them, each lead's score
 * moves by the same amount, so no ranking changes, and attributes only add
 * points. (The regression's intercept, which such constants trade with, is
 * not a rule.)
 */
function zeroBasedAttributes(
  coefficients: readonly number[],
  candidates: readonly Candidate[],
  duplicates: ReadonlySet<number>,
  rows: readonly SparseRow[],
): number[] {
  const groups = new Map<string, number[]>();
  candidates.forEach((candidate, j) => {
    if (candidate.attribute === undefined || duplicates.has(j)) return;
    groups.set(candidate.attribute, [...(groups.get(candidate.attribute) ?? []), j]);
  });
  const shifted = [...coefficients];
  for (const members of groups.values()) {
    const group = new Set(members);
    if (!rows.every((row) => row.filter(([j]) => group.has(j)).length === 1)) continue;
    const lowest = Math.min(...members.map((j) => coefficients[j]!));
    for (const j of members) shifted[j] = coefficients[j]! - lowest;
  }
  return shifted;
}

/** Rounds for the note: three decimals, or "n/a". */
function fixed(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

/** Scores and labels of one part of the leads, in lead-id order. */
interface Part {
  ids: string[];
  rows: SparseRow[];
  won: boolean[];
}

/** The judged scores of the version at `index` for the leads of `part`, in the part's order. */
function judgedScores(result: ReplayResult, index: number, part: Part): number[] {
  const byId = new Map(result.leads.map((lead) => [lead.leadId, lead.versions[index]!.judged.score]));
  return part.ids.map((id) => byId.get(id)!);
}

/**
 * Fits points to the recorded outcomes and builds the candidate rule set
 * `options.version`, child of `from`. `events` is the whole history in time
 * order (as replay needs it). Throws a {@link SuggestError} for a history it
 * cannot learn from (one outcome only, too few leads).
 */
export function suggestRuleSet(from: CompiledRuleSet, events: readonly LeadEvent[], options: SuggestOptions): Suggestion {
  const holdOutShare = options.holdOut ?? SUGGEST_DEFAULTS.holdOut;
  const seed = options.seed ?? SUGGEST_DEFAULTS.seed;
  const l2 = options.l2 ?? SUGGEST_DEFAULTS.l2;
  const horizonDays = options.horizonDays ?? SUGGEST_DEFAULTS.horizonDays;
  if (!(holdOutShare > 0 && holdOutShare < 1)) throw new RangeError(`holdOut must be between 0 and 1, got ${holdOutShare}`);
  if (!(l2 >= 0)) throw new RangeError(`l2 must be ≥ 0, got ${l2}`);
  checkHorizon(horizonDays);

  // What the parent knew where replay judges it: the one basis of features, candidates and AUCs.
  const known = judgedHistory(from, events, horizonDays);
  checkBothOutcomes(known.outcomes);
  const held = stratifiedHoldOut(known.outcomes, holdOutShare, seed);
  const training = new Set([...known.outcomes.keys()].filter((id) => !held.has(id)));
  if (training.size === 0 || held.size === 0)
    throw new SuggestError(
      'too-few-leads',
      `the history has ${known.outcomes.size} won or lost leads: too few to fit on some and hold out ${Math.round(holdOutShare * 100)}%`,
    );

  const candidates = candidateRules(from, known.events, training, new Set(options.ignore ?? []));
  const resolved = known.leadIds.filter((id) => known.outcomes.has(id));
  const rows = probeFeatures(from, candidates, known.events, resolved);
  const parts: { training: Part; holdOut: Part } = {
    training: { ids: [], rows: [], won: [] },
    holdOut: { ids: [], rows: [], won: [] },
  };
  for (const id of resolved) {
    const part = held.has(id) ? parts.holdOut : parts.training;
    part.ids.push(id);
    part.rows.push(rows.get(id)!);
    part.won.push(known.outcomes.get(id)!);
  }

  const duplicates = duplicateColumns(parts.training.rows, candidates.length);
  const fitted = parts.training.rows.map((row) => row.filter(([j]) => !duplicates.has(j)));
  const model = fitLogistic(fitted, parts.training.won, candidates.length, { l2 });
  const features = model.coefficients.filter((b) => b !== 0).length;

  const coefficients = zeroBasedAttributes(model.coefficients, candidates, duplicates, fitted);
  const largest = Math.max(0, ...coefficients.map(Math.abs));
  const pointsPerLogit = largest === 0 ? 0 : SUGGEST_DEFAULTS.largestPoints / largest;
  const points = coefficients.map((b) => Math.round(b * pointsPerLogit) || 0);
  const scoring: ScoringRule[] = candidates.flatMap((candidate, j) => (points[j] ? [{ ...candidate.rule, points: points[j] }] : []));
  const droppedFromParent = candidates.filter((candidate, j) => candidate.fromParent && !points[j]).map((candidate) => candidate.rule.id);

  // Hand-off where F1 on the training leads is best, read from the table's own score highs (decay and all) within the horizon.
  const createdAt = canonicalTime(events[events.length - 1]?.occurredAt ?? null);
  const table = (thresholds: SuggestReport['thresholds']) => tableDefinition(from, options.version, createdAt, scoring, thresholds);
  const probeThresholds = { ...from.definition.lifecycle.thresholds, ...from.definition.bands, mql: SUGGEST_DEFAULTS.probeThreshold };
  const untilHandOff = replay(
    [compiled(table(probeThresholds), 'suggested')],
    events.filter((event) => training.has(event.leadId)),
    { horizonDays },
  );
  const trainingScores = parts.training.rows.map((row) => row.reduce((sum, [j, x]) => sum + points[j]! * x, 0));
  const thresholds = bandThresholds(from, thresholdCurve(untilHandOff, 0), trainingScores);

  const definition = table(thresholds);
  const suggested = compiled(definition, 'suggested');
  // Parent and table judged as replay compares versions; the regression on the rows it was fitted on.
  const judged = replay([from, suggested], events, { horizonDays });
  const aucs = (part: Part): AucReport => ({
    leads: count(part.won),
    original: delongAuc(judgedScores(judged, 0, part), part.won),
    regression: delongAuc(
      part.rows.map((row) => logit(model, row)),
      part.won,
    ),
    pointsTable: delongAuc(judgedScores(judged, 1, part), part.won),
  });

  const report: SuggestReport = {
    from: from.version,
    version: options.version,
    events: events.length,
    period: { firstEventAt: events[0]?.occurredAt ?? null, lastEventAt: events[events.length - 1]?.occurredAt ?? null },
    leads: { total: known.leadIds.length, open: known.leadIds.length - known.outcomes.size },
    horizonDays,
    candidates: candidates.length,
    features,
    rules: { kept: scoring.length, droppedFromParent },
    regression: { l2, iterations: model.iterations, converged: model.converged },
    pointsPerLogit,
    thresholds,
    auc: { holdOut: aucs(parts.holdOut), training: aucs(parts.training) },
  };
  definition.note = note(report, options.source, seed, holdOutShare);
  return { ruleSet: definition, report };
}

function count(won: readonly boolean[]): { won: number; lost: number } {
  const wins = won.filter(Boolean).length;
  return { won: wins, lost: won.length - wins };
}

function canonicalTime(time: string | null): string {
  return time === null ? new Date(0).toISOString() : new Date(Date.parse(time)).toISOString();
}

/** The parent's definition with new scoring, thresholds and provenance. */
function tableDefinition(
  from: CompiledRuleSet,
  version: string,
  createdAt: string,
  scoring: ScoringRule[],
  thresholds: SuggestReport['thresholds'],
): RuleSetInput {
  const definition = structuredClone(from.definition) as RuleSetInput;
  definition.version = version;
  definition.parent = from.version;
  definition.author = 'leadflow suggest';
  definition.createdAt = createdAt;
  definition.note = '';
  definition.scoring = scoring;
  definition.bands = { hot: thresholds.hot, warm: thresholds.warm };
  definition.lifecycle.thresholds = { mql: thresholds.mql, reactivation: thresholds.reactivation };
  return definition;
}

/**
 * Hand-off at the whole-number threshold that maximises F1 of hand-off
 * against won over the training leads (the highest such threshold on a tie);
 * hot from there, warm from the middle of the judged scores below it;
 * reactivation scaled from the parent's, never above the hand-off.
 */
function bandThresholds(from: CompiledRuleSet, curve: ThresholdCurve, scores: readonly number[]): SuggestReport['thresholds'] {
  const highs = curve.points.map((point) => point.threshold);
  let mql = 0;
  let bestF1 = -1;
  for (let t = Math.ceil(Math.max(0, ...highs)); t >= Math.floor(Math.min(0, ...highs)); t--) {
    const f1 = atThreshold(curve, t).f1 ?? 0;
    if (f1 > bestF1) [mql, bestF1] = [t, f1];
  }
  const hot = Math.max(1, mql);
  const below = scores.filter((score) => score < mql).sort((a, b) => a - b);
  const warm = Math.min(hot - 1, Math.max(0, Math.round(quantile(below, SUGGEST_DEFAULTS.warmQuantile))));
  const parent = from.definition.lifecycle.thresholds;
  const scaled = parent.mql > 0 && mql > 0 ? Math.round((parent.reactivation * mql) / parent.mql) : parent.reactivation;
  return { mql, hot, warm, reactivation: Math.min(mql, scaled) };
}

/** An AUC with its interval for the note: "0.871 (0.857–0.885)", or "n/a". */
function withInterval({ auc, interval }: AucEstimate): string {
  if (auc === null) return 'n/a';
  return interval.low === null || interval.high === null ? fixed(auc) : `${fixed(auc)} (${fixed(interval.low)}–${fixed(interval.high)})`;
}

function note(report: SuggestReport, source: string | undefined, seed: number, holdOut: number): string {
  const { training, holdOut: held } = report.auc;
  const dropped = report.rules.droppedFromParent;
  return [
    `Suggested from ${report.from} by L2-regularised logistic regression (l2 ${report.regression.l2} on standardised features, Newton's method, ${report.regression.iterations} iterations${report.regression.converged ? '' : ', not converged'})`,
    ` of each resolved lead's outcome on what ${report.candidates} candidate rules (${report.from}'s own, and new ones on activity counts, activity properties and lead_updated attributes) gave it, decay included,`,
    ` where replay judges ${report.from} with a ${report.horizonDays}-day horizon: at its hand-off within the horizon, else after the lead's last event within it; outcome events never applied.`,
    ` History: ${source ? `${source}, ` : ''}${report.events} events from ${report.period.firstEventAt} to ${report.period.lastEventAt};`,
    ` ${training.leads.won + training.leads.lost} leads fitted (${training.leads.won} won, ${training.leads.lost} lost), ${held.leads.won + held.leads.lost} held out (${Math.round(holdOut * 100)}%, stratified by outcome, seed ${seed}; ${held.leads.won} won, ${held.leads.lost} lost).`,
    ` Points = coefficient × ${report.pointsPerLogit.toFixed(2)}, rounded, the lowest of an attribute's rules moved to 0 where they cover every lead; rules rounding to 0 are left out`,
    dropped.length ? ` (of ${report.from}'s: ${dropped.join(', ')})` : '',
    `. MQL threshold ${report.thresholds.mql} maximises F1 of hand-off against won on the fitted leads; hot from ${report.thresholds.hot}, warm from ${report.thresholds.warm}.`,
    ` Hold-out AUC as replay judges, with DeLong 95% intervals: ${report.from} ${withInterval(held.original)}, regression ${withInterval(held.regression)}, this table ${withInterval(held.pointsTable)}.`,
  ].join('');
}
