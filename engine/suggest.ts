/**
 * Suggesting points from history: fits a regularised logistic regression of
 * each resolved lead's outcome on what candidate rules gave the lead, and
 * turns the coefficients into a new rule set that is still a plain, editable
 * points table.
 *
 * Candidates are the parent's own scoring rules and new ones generated from
 * the training leads' history (candidates.ts). What each candidate gives a lead
 * is read by running a "probe" rule set (every candidate one point, no
 * hand-off on score) through the engine over what was known before sales
 * acted on the lead (its first feedback or outcome), decay included: no
 * look-ahead, and the fitted points reproduce the regression's ranking once
 * the engine applies them.
 *
 * Leads are split into training and hold-out parts, stratified by outcome, by
 * a seeded shuffle of the sorted lead ids. Everything is deterministic: the
 * same history, rule set and options give the same rule set and report.
 */
import { roc } from './metrics';
import { atThreshold, thresholdCurve, type ThresholdCurve } from './whatif';
import { fitLogistic, logit, type LogisticModel, type SparseRow } from './regression';
import { applyEvent, isKnownEventType } from './evaluate';
import { CANDIDATE_CHOICES, candidateRules, quantile, type Candidate } from './candidates';
import { byCodeUnit } from './order';
import { parseTime } from './time';
import { OUTCOME_EVENT_TYPES, SALES_STAGES, replay, type ReplayResult } from './replay';
import { MS_PER_DAY } from './scoring';
import { loadRuleSet, formatProblem, type CompiledRuleSet } from './ruleset';
import { SYSTEM_EVENT_TYPES, type RuleSetInput, type ScoringRule } from './schema';
import type { LeadEvent, LeadState } from './types';

/** The method's fixed choices; options override the first three. */
export const SUGGEST_DEFAULTS = {
  /** Share of resolved leads held out to measure the result, stratified by outcome. */
  holdOut: 0.3,
  seed: 1,
  /** Weight of the L2 penalty on standardised coefficients. */
  l2: 1,
  /** Points are scaled so that the largest rule gives this many (plus or minus). */
  largestPoints: 50,
  /** The probe's hand-off threshold: out of reach, so every lead is judged just before its outcome. */
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
  /** Attribute and event-property names never turned into rules (identifiers, say). */
  ignore?: readonly string[];
  /** What the history is, for the note (e.g. a file name). */
  source?: string;
}

/** AUCs of one part of the leads (hold-out or training). */
export interface AucReport {
  leads: { won: number; lost: number };
  /** As replay judges a version: its score at its hand-off, else just before the outcome. */
  judged: { original: number | null; pointsTable: number | null };
  /** Just before the outcome, on everything known before sales acted: the regression's own basis. */
  beforeOutcome: { original: number | null; regression: number | null; pointsTable: number | null };
}

export interface SuggestReport {
  from: string;
  version: string;
  events: number;
  period: { firstEventAt: string | null; lastEventAt: string | null };
  leads: { total: number; open: number };
  candidates: number;
  /** Candidates left after dropping those that never or always hold and exact duplicates. */
  features: number;
  rules: { kept: number; droppedFromParent: string[] };
  regression: { l2: number; iterations: number; converged: boolean };
  /** Points per unit of log-odds. */
  pointsPerLogit: number;
  thresholds: { mql: number; hot: number; warm: number; reactivation: number };
  /** Every AUC is computed by replaying the rule sets as written, except the regression's. */
  auc: { holdOut: AucReport; training: AucReport };
}

export interface Suggestion {
  /** The new rule set, ready to write as rules/<version>.json. */
  ruleSet: RuleSetInput;
  report: SuggestReport;
}

/** Event types that mean sales has acted on the lead: what follows may reflect sales' work. */
const SALES_RESPONSE_TYPES: ReadonlySet<string> = new Set(SYSTEM_EVENT_TYPES.filter((type) => type !== 'lead_updated' && type !== 'tick'));
const OUTCOME_TYPES: ReadonlySet<string> = new Set(Object.values(OUTCOME_EVENT_TYPES));
const SALES_STAGE_SET: ReadonlySet<string> = new Set(SALES_STAGES);

interface KnownHistory {
  /** Per lead: its first outcome, if any. */
  outcomes: Map<string, boolean>;
  /** Each lead's events before sales first acted on it, then its outcome; in the history's order. */
  events: LeadEvent[];
  /** Leads in the history. */
  leads: number;
}

/** Cuts each lead's history at sales' first response, keeping the outcome that labels it. */
function knownBeforeSales(events: readonly LeadEvent[]): KnownHistory {
  const outcomes = new Map<string, boolean>();
  const answered = new Set<string>();
  const known: LeadEvent[] = [];
  for (const event of events) {
    if (OUTCOME_TYPES.has(event.type) && !outcomes.has(event.leadId)) {
      outcomes.set(event.leadId, event.type === OUTCOME_EVENT_TYPES.won);
      known.push(event);
    }
    if (SALES_RESPONSE_TYPES.has(event.type)) answered.add(event.leadId);
    else if (!answered.has(event.leadId)) known.push(event);
  }
  return { outcomes, events: known, leads: new Set(events.map((event) => event.leadId)).size };
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

function auc(scores: readonly number[], won: readonly boolean[]): number | null {
  return roc(scores.map((score, i) => ({ score, won: won[i]! }))).auc;
}

/** A rule set as it is, except that its score never reaches the hand-off: replay then judges every lead just before its outcome. */
function neverHandingOver(ruleSet: CompiledRuleSet): CompiledRuleSet {
  const definition = structuredClone(ruleSet.definition) as RuleSetInput;
  definition.lifecycle.thresholds.mql = SUGGEST_DEFAULTS.probeThreshold;
  return compiled(definition, `${ruleSet.version} (never handing over)`);
}

function aucReport(part: { rows: readonly SparseRow[]; won: readonly boolean[] }, model: LogisticModel): AucReport {
  return {
    leads: count(part.won),
    judged: { original: null, pointsTable: null },
    beforeOutcome: {
      original: null,
      regression: auc(
        part.rows.map((row) => logit(model, row)),
        part.won,
      ),
      pointsTable: null,
    },
  };
}

/** The rule set that gives every candidate one point and never hands over on score. */
function probeRuleSet(from: CompiledRuleSet, candidates: readonly Candidate[]): CompiledRuleSet {
  const definition = structuredClone(from.definition) as RuleSetInput;
  definition.scoring = candidates.map((candidate) => ({ ...candidate.rule, points: 1 }));
  definition.lifecycle.thresholds.mql = SUGGEST_DEFAULTS.probeThreshold;
  return compiled(definition, 'probe');
}

/** One lead as the probe sees it: the engine's state, and what each rule's points so far are worth now. */
interface ProbeFold {
  state: LeadState | null;
  fit: Map<string, number>;
  /** Per engagement rule: its points, decayed as the engine decays engagement, as of the last activity. */
  engagement: Map<string, number>;
  lastActivity: number | null;
  asOf: number;
}

function decayFactor(days: number, halfLifeDays: number | null): number {
  return halfLifeDays === null || days <= 0 ? 1 : Math.pow(0.5, days / halfLifeDays);
}

/**
 * Per resolved lead, what each candidate contributes to its judged score per
 * point the candidate gives: 1 for a fit rule that holds; for an engagement
 * rule, its firings, each decayed as the engine decays engagement (whole days
 * between activities, then the exact time to the judgement). Judged as replay
 * judges: at a hand-off (the probe makes none on score), else just before the
 * outcome. Decay is linear, so a rule set giving these candidates points p
 * scores Σ p × contribution, which is what the regression fits.
 */
function probeContributions(
  probe: CompiledRuleSet,
  events: readonly LeadEvent[],
  column: ReadonlyMap<string, number>,
): Map<string, { row: SparseRow; won: boolean }> {
  const halfLife = probe.definition.decay.halfLifeDays;
  const folds = new Map<string, ProbeFold>();
  const judged = new Map<string, { row: SparseRow; won: boolean | null }>();
  const judge = (fold: ProbeFold, time: number): SparseRow => {
    const sinceActivity = fold.lastActivity === null ? 0 : Math.floor((fold.asOf - fold.lastActivity) / MS_PER_DAY);
    const factor = decayFactor(sinceActivity, halfLife) * decayFactor((time - fold.asOf) / MS_PER_DAY, halfLife);
    const row: Array<readonly [number, number]> = [];
    for (const [id, points] of fold.fit) if (points !== 0) row.push([column.get(id)!, points]);
    for (const [id, points] of fold.engagement) if (points !== 0) row.push([column.get(id)!, points * factor]);
    return row.sort((a, b) => a[0] - b[0]);
  };
  for (const event of events) {
    const done = judged.get(event.leadId);
    if (done && done.won !== null) continue;
    const time = parseTime(event.occurredAt);
    const fold = folds.get(event.leadId) ?? { state: null, fit: new Map(), engagement: new Map(), lastActivity: null, asOf: time };
    folds.set(event.leadId, fold);
    if (OUTCOME_TYPES.has(event.type)) {
      judged.set(event.leadId, { row: done?.row ?? judge(fold, time), won: event.type === OUTCOME_EVENT_TYPES.won });
      continue;
    }
    if (done || !isKnownEventType(probe, event.type)) continue;
    const first = fold.state === null;
    const { state, explanation } = applyEvent(probe, fold.state, event);
    fold.state = state;
    fold.asOf = Math.max(fold.asOf, time);
    if (first || event.type === 'lead_updated') {
      fold.fit = new Map(explanation.rules.filter((rule) => rule.kind === 'fit').map((rule) => [rule.ruleId, rule.points]));
    }
    if (probe.activityTypes.has(event.type)) {
      const factor = fold.lastActivity === null ? 1 : decayFactor(Math.floor((time - fold.lastActivity) / MS_PER_DAY), halfLife);
      for (const [id, points] of fold.engagement) fold.engagement.set(id, points * factor);
      for (const rule of explanation.rules) {
        if (rule.kind === 'engagement') fold.engagement.set(rule.ruleId, (fold.engagement.get(rule.ruleId) ?? 0) + rule.points);
      }
      fold.lastActivity = time;
    }
    if (explanation.stageChanges.some((change) => SALES_STAGE_SET.has(change.to)))
      judged.set(event.leadId, { row: judge(fold, time), won: null });
  }
  const resolved = new Map<string, { row: SparseRow; won: boolean }>();
  for (const [id, { row, won }] of judged) if (won !== null) resolved.set(id, { row, won });
  return resolved;
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

/**
 * Fits points to the recorded outcomes and builds the candidate rule set
 * `options.version`, child of `from`. `events` is the whole history in time
 * order (as replay needs it).
 */
export function suggestRuleSet(from: CompiledRuleSet, events: readonly LeadEvent[], options: SuggestOptions): Suggestion {
  const holdOutShare = options.holdOut ?? SUGGEST_DEFAULTS.holdOut;
  const seed = options.seed ?? SUGGEST_DEFAULTS.seed;
  const l2 = options.l2 ?? SUGGEST_DEFAULTS.l2;
  if (!(holdOutShare > 0 && holdOutShare < 1)) throw new RangeError(`holdOut must be between 0 and 1, got ${holdOutShare}`);
  if (!(l2 >= 0)) throw new RangeError(`l2 must be ≥ 0, got ${l2}`);

  const known = knownBeforeSales(events);
  const held = stratifiedHoldOut(known.outcomes, holdOutShare, seed);
  const training = new Set([...known.outcomes.keys()].filter((id) => !held.has(id)));
  if (training.size === 0 || held.size === 0) throw new RangeError('not enough resolved leads to fit and hold out');

  const candidates = candidateRules(from, known.events, training, new Set(options.ignore ?? []));
  const column = new Map(candidates.map((candidate, j) => [candidate.rule.id, j]));
  const contributions = probeContributions(probeRuleSet(from, candidates), known.events, column);
  const parts = { training: { rows: [] as SparseRow[], won: [] as boolean[] }, holdOut: { rows: [] as SparseRow[], won: [] as boolean[] } };
  for (const id of [...contributions.keys()].sort(byCodeUnit)) {
    const { row, won } = contributions.get(id)!;
    const part = held.has(id) ? parts.holdOut : parts.training;
    part.rows.push(row);
    part.won.push(won);
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

  // Hand-off where F1 on the training leads is best, read from the table's own score highs (decay and all).
  const createdAt = canonicalTime(events[events.length - 1]?.occurredAt ?? null);
  const table = (thresholds: SuggestReport['thresholds']) => tableDefinition(from, options.version, createdAt, scoring, thresholds);
  const probeThresholds = { ...from.definition.lifecycle.thresholds, ...from.definition.bands, mql: SUGGEST_DEFAULTS.probeThreshold };
  const untilHandOff = replay(
    [compiled(table(probeThresholds), 'suggested')],
    events.filter((event) => training.has(event.leadId)),
  );
  const trainingScores = parts.training.rows.map((row) => row.reduce((sum, [j, x]) => sum + points[j]! * x, 0));
  const thresholds = bandThresholds(from, thresholdCurve(untilHandOff, 0), trainingScores);

  const draft: Suggestion['report'] = {
    from: from.version,
    version: options.version,
    events: events.length,
    period: { firstEventAt: events[0]?.occurredAt ?? null, lastEventAt: events[events.length - 1]?.occurredAt ?? null },
    leads: { total: known.leads, open: known.leads - known.outcomes.size },
    candidates: candidates.length,
    features,
    rules: { kept: scoring.length, droppedFromParent },
    regression: { l2, iterations: model.iterations, converged: model.converged },
    pointsPerLogit,
    thresholds,
    auc: { holdOut: aucReport(parts.holdOut, model), training: aucReport(parts.training, model) },
  };

  const definition = table(thresholds);
  const suggested = compiled(definition, 'suggested');
  // Judged as replay judges versions, on the whole history; and, never handing over, just before the outcome.
  const judged = replay([from, suggested], events);
  const beforeOutcome = replay([neverHandingOver(from), neverHandingOver(suggested)], known.events);
  for (const [ids, report] of [
    [held, draft.auc.holdOut],
    [training, draft.auc.training],
  ] as const) {
    const score = (result: ReplayResult, version: number) => {
      const leads = result.leads.filter((lead) => lead.outcome && ids.has(lead.leadId));
      return auc(
        leads.map((lead) => lead.versions[version]!.judged.score),
        leads.map((lead) => lead.outcome!.result === 'won'),
      );
    };
    report.judged = { original: score(judged, 0), pointsTable: score(judged, 1) };
    report.beforeOutcome = { ...report.beforeOutcome, original: score(beforeOutcome, 0), pointsTable: score(beforeOutcome, 1) };
  }
  definition.note = note(draft, options.source, seed, holdOutShare);
  return { ruleSet: definition, report: draft };
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

function note(report: SuggestReport, source: string | undefined, seed: number, holdOut: number): string {
  const { training, holdOut: held } = report.auc;
  const dropped = report.rules.droppedFromParent;
  const { judged, beforeOutcome } = held;
  return [
    `Suggested from ${report.from} by L2-regularised logistic regression (l2 ${report.regression.l2} on standardised features, Newton's method, ${report.regression.iterations} iterations${report.regression.converged ? '' : ', not converged'})`,
    ` of each resolved lead's outcome on what ${report.candidates} candidate rules (${report.from}'s own, and new ones on activity counts, activity properties and lead_updated attributes) gave it, decay included, before sales acted on it.`,
    ` History: ${source ? `${source}, ` : ''}${report.events} events from ${report.period.firstEventAt} to ${report.period.lastEventAt};`,
    ` ${training.leads.won + training.leads.lost} leads fitted (${training.leads.won} won), ${held.leads.won + held.leads.lost} held out (${Math.round(holdOut * 100)}%, stratified by outcome, seed ${seed}; ${held.leads.won} won).`,
    ` Points = coefficient × ${report.pointsPerLogit.toFixed(2)}, rounded, the lowest of an attribute's rules moved to 0 where they cover every lead; rules rounding to 0 are left out`,
    dropped.length ? ` (of ${report.from}'s: ${dropped.join(', ')})` : '',
    `. MQL threshold ${report.thresholds.mql} maximises F1 of hand-off against won on the fitted leads; hot from ${report.thresholds.hot}, warm from ${report.thresholds.warm}.`,
    ` Hold-out AUC, judged at hand-off or else just before the outcome: ${report.from} ${fixed(judged.original)}, this table ${fixed(judged.pointsTable)};`,
    ` just before the outcome: ${report.from} ${fixed(beforeOutcome.original)}, regression ${fixed(beforeOutcome.regression)}, this table ${fixed(beforeOutcome.pointsTable)}.`,
  ].join('');
}

// ── Candidate rules ─────────────────────────────────────────────────────
