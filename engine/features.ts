/**
 * What suggest learns from: per lead, what each candidate rule contributed to
 * the lead's score at the point where replay judges the parent version (its
 * hand-off within the horizon, else after the lead's last event within the
 * horizon). Outcome events are never applied, so neither when an outcome was
 * recorded nor which it was can change a lead's features; only its label.
 *
 * The features are read by folding a probe through the engine: the parent
 * itself, with every candidate added at 0 points. Its scores, stages and
 * hand-offs are the parent's exactly, so it stops where replay judges the
 * parent, and the engine's explanation still names every rule whose
 * condition held.
 */
import type { Candidate } from './candidates';
import { applyEvent, foldEvent, isKnownEventType } from './evaluate';
import { byCodeUnit } from './order';
import type { SparseRow } from './regression';
import { DEFAULT_HORIZON_DAYS, FEEDBACK_EVENT_TYPES, OUTCOME_EVENT_TYPES, SALES_STAGES } from './replay';
import { formatProblem, loadRuleSet, type CompiledRuleSet } from './ruleset';
import type { RuleSetInput } from './schema';
import { MS_PER_DAY } from './scoring';
import { parseTime } from './time';
import type { LeadEvent, LeadState } from './types';

const OUTCOME_TYPES: ReadonlySet<string> = new Set(Object.values(OUTCOME_EVENT_TYPES));
const SALES_STAGE_SET: ReadonlySet<string> = new Set(SALES_STAGES);

/** A history cut where replay judges a version. */
export interface JudgedHistory {
  /** Each lead's events that reach the version's judged state, in the history's order: no outcome, none past the judgement point. */
  events: LeadEvent[];
  /** Per lead with an outcome: its first one (true for won), wherever it falls. */
  outcomes: Map<string, boolean>;
  /** Every lead in the history, sorted by id. */
  leadIds: string[];
}

/** Checks a horizon as replay does, so suggest refuses what its replays would. */
export function checkHorizon(horizonDays: number): void {
  if (!(Number.isFinite(horizonDays) && horizonDays > 0))
    throw new RangeError(`horizon must be a positive number of days, not ${horizonDays}`);
}

interface Cut {
  state: LeadState | null;
  horizonEnd: number | null;
  judged: boolean;
}

/**
 * Each lead's events up to where replay judges `version`: its hand-off within
 * `horizonDays` of the lead's first event other than an outcome, else its
 * last event within that horizon. Outcome events only label the lead.
 */
export function judgedHistory(version: CompiledRuleSet, events: readonly LeadEvent[], horizonDays: number): JudgedHistory {
  checkHorizon(horizonDays);
  const horizon = horizonDays * MS_PER_DAY;
  const outcomes = new Map<string, boolean>();
  const cuts = new Map<string, Cut>();
  const judged: LeadEvent[] = [];
  for (const event of events) {
    let cut = cuts.get(event.leadId);
    if (!cut) cuts.set(event.leadId, (cut = { state: null, horizonEnd: null, judged: false }));
    if (OUTCOME_TYPES.has(event.type)) {
      if (!outcomes.has(event.leadId)) outcomes.set(event.leadId, event.type === OUTCOME_EVENT_TYPES.won);
      continue;
    }
    if (cut.judged) continue;
    const time = parseTime(event.occurredAt);
    cut.horizonEnd ??= time + horizon;
    if (time > cut.horizonEnd) {
      cut.judged = true;
      continue;
    }
    if (!isKnownEventType(version, event.type)) continue;
    const { state, stageChanges } = foldEvent(version, cut.state, event);
    cut.state = state;
    judged.push(event);
    cut.judged = stageChanges.some((change) => SALES_STAGE_SET.has(change.to) && !FEEDBACK_EVENT_TYPES.has(change.trigger));
  }
  return { events: judged, outcomes, leadIds: [...cuts.keys()].sort(byCodeUnit) };
}

/** One lead as the probe sees it: which candidates' fit rules hold, and each engagement candidate's firings, decayed. */
interface ProbeFold {
  state: LeadState | null;
  fit: Set<number>;
  /** Per engagement candidate: its firings, decayed as the engine decays engagement, as of the last activity. */
  engagement: Map<number, number>;
  lastActivity: number | null;
  /** Time of the lead's last event: the judgement point. */
  judgedAt: number | null;
}

function decayFactor(days: number, halfLifeDays: number | null): number {
  return halfLifeDays === null || days <= 0 ? 1 : Math.pow(0.5, days / halfLifeDays);
}

/** The parent with every candidate added at 0 points, under ids of its own: scores and stages stay the parent's. */
function probeRuleSet(from: CompiledRuleSet, candidates: readonly Candidate[]): { probe: CompiledRuleSet; column: Map<string, number> } {
  const definition = structuredClone(from.definition) as RuleSetInput;
  const taken = new Set(definition.scoring.map((rule) => rule.id));
  let prefix = 'candidate';
  while ([...taken].some((id) => id.startsWith(prefix))) prefix = `x${prefix}`;
  const column = new Map(candidates.map((_, j) => [`${prefix}-${j}`, j]));
  definition.scoring = [
    ...definition.scoring,
    ...candidates.map((candidate, j) => ({ ...candidate.rule, id: `${prefix}-${j}`, points: 0 })),
  ];
  const loaded = loadRuleSet(definition);
  if (!loaded.ok) throw new Error(`the probe rule set does not load:\n${loaded.problems.map(formatProblem).join('\n')}`);
  return { probe: loaded.ruleSet, column };
}

/**
 * Per lead of `leadIds`, what one point of each candidate adds to its score
 * after the last of its `judged` events (a history cut by
 * {@link judgedHistory}): 1 for a fit rule that holds; for an engagement rule,
 * each firing within its cap, decayed as the engine decays engagement (whole
 * days between activities, then to the judgement point). Decay is linear, so
 * a table giving the candidates points p scores Σ p × feature, up to the
 * engine's rounding to cents: what the regression fits.
 */
export function probeFeatures(
  from: CompiledRuleSet,
  candidates: readonly Candidate[],
  judged: readonly LeadEvent[],
  leadIds: readonly string[],
): Map<string, SparseRow> {
  const { probe, column } = probeRuleSet(from, candidates);
  const halfLife = probe.definition.decay.halfLifeDays;
  const folds = new Map<string, ProbeFold>();
  for (const event of judged) {
    let fold = folds.get(event.leadId);
    if (!fold) folds.set(event.leadId, (fold = { state: null, fit: new Set(), engagement: new Map(), lastActivity: null, judgedAt: null }));
    const time = parseTime(event.occurredAt);
    const recomputesFit = fold.state === null || event.type === 'lead_updated';
    const { state, explanation } = applyEvent(probe, fold.state, event);
    fold.state = state;
    fold.judgedAt = Math.max(fold.judgedAt ?? time, time);
    if (recomputesFit) {
      fold.fit = new Set();
      for (const rule of explanation.rules) {
        const j = column.get(rule.ruleId);
        if (rule.kind === 'fit' && j !== undefined) fold.fit.add(j);
      }
    }
    if (!probe.activityTypes.has(event.type)) continue;
    const factor = fold.lastActivity === null ? 1 : decayFactor(Math.floor((time - fold.lastActivity) / MS_PER_DAY), halfLife);
    for (const [j, value] of fold.engagement) fold.engagement.set(j, value * factor);
    for (const rule of explanation.rules) {
      const j = column.get(rule.ruleId);
      if (rule.kind !== 'engagement' || j === undefined) continue;
      // At 0 points a capped firing looks like any other: the rule's tally says whether it was within the cap.
      const maxTimes = candidates[j]!.rule.caps?.maxTimes ?? Infinity;
      if (state.rules[rule.ruleId]!.times <= maxTimes) fold.engagement.set(j, (fold.engagement.get(j) ?? 0) + 1);
    }
    fold.lastActivity = time;
  }
  const rows = new Map<string, SparseRow>();
  for (const id of leadIds) {
    const fold = folds.get(id);
    const row: Array<readonly [number, number]> = [];
    if (fold) {
      const idle = fold.lastActivity === null ? 0 : Math.floor((fold.judgedAt! - fold.lastActivity) / MS_PER_DAY);
      const factor = decayFactor(idle, halfLife);
      for (const j of fold.fit) row.push([j, 1]);
      for (const [j, value] of fold.engagement) if (value !== 0) row.push([j, value * factor]);
      row.sort((a, b) => a[0] - b[0]);
    }
    rows.set(id, row);
  }
  return rows;
}

/**
 * Suggest's feature rows: per lead of the history (sorted by id), what one
 * point of each candidate adds to its score where replay judges `from` with
 * the given horizon. Outcome events never reach them: moving an outcome
 * later, or turning won into lost, leaves every row as it is.
 */
export function featureRows(
  from: CompiledRuleSet,
  candidates: readonly Candidate[],
  events: readonly LeadEvent[],
  options: { horizonDays?: number } = {},
): Map<string, SparseRow> {
  const history = judgedHistory(from, events, options.horizonDays ?? DEFAULT_HORIZON_DAYS);
  return probeFeatures(from, candidates, history.events, history.leadIds);
}
