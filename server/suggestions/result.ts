/**
 * What a suggestion answers with: the suggested points beside the current
 * ones, rule by rule; the judged hold-out AUC of the current version and of
 * the suggested table, each with its interval and sample; notes a reader
 * must see before trusting the figures; and the suggested rule set, ready to
 * open as a draft. A history suggest refuses (one outcome only, too few
 * leads) is a result too: no table, and a note with the cause and the fix.
 */
import {
  DEFAULT_MIN_SAMPLE,
  type AucEstimate,
  type CompiledRuleSet,
  type RuleSetInput,
  type SuggestReport,
  type Suggestion,
} from '../../engine/index';

/** A note on a suggestion: a stable `code` for a translated message, the numbers it states, and the message in English. */
export interface SuggestionNote {
  code: string;
  message: string;
  values: Record<string, string | number>;
}

/** One scoring rule of the current version or of the suggestion (or both, matched by id). */
export interface SuggestionRow {
  id: string;
  label: string;
  /** Points the current version gives (null: not one of its rules). */
  current: number | null;
  /** Points the suggestion gives (null: left out). */
  suggested: number | null;
  /** Suggested minus current, a missing side counting 0. */
  change: number;
}

export interface Thresholds {
  mql: number;
  hot: number;
  warm: number;
  reactivation: number;
}

export interface SuggestionResult {
  /** The version the suggestion starts from, and the name the suggested table was given. */
  from: string;
  version: string;
  /** The period read, as asked, and the times of the first and last event in it. */
  period: { since: string | null; until: string | null; firstEventAt: string | null; lastEventAt: string | null };
  events: number;
  leads: { total: number; won: number; lost: number; open: number };
  horizonDays: number;
  /** Why suggest would not fit, when it would not; the rest is then empty. */
  refused: { code: string; message: string } | null;
  rows: SuggestionRow[];
  thresholds: { current: Thresholds; suggested: Thresholds | null };
  /** Hold-out AUCs, as replay judges, on the leads held out from the fit. */
  auc: { leads: { won: number; lost: number }; current: AucEstimate; suggested: AucEstimate; regression: AucEstimate } | null;
  notes: SuggestionNote[];
  /** The suggested rule set (a child of `from`), to open as a draft. */
  ruleSet: RuleSetInput | null;
  /** Everything suggest reports: candidates, regression, training AUCs. */
  report: SuggestReport | null;
}

/** What the history read holds, before any fit. */
export interface HistoryShape {
  since: string | null;
  until: string | null;
  events: number;
  firstEventAt: string | null;
  lastEventAt: string | null;
  leads: { total: number; won: number; lost: number };
}

const fixed = (value: number | null) => (value === null ? 'n/a' : value.toFixed(3));

function currentThresholds(from: CompiledRuleSet): Thresholds {
  const { lifecycle, bands } = from.definition;
  return { mql: lifecycle.thresholds.mql, hot: bands.hot, warm: bands.warm, reactivation: lifecycle.thresholds.reactivation };
}

/** The current and suggested points side by side: the current version's rules in order, then the new ones. */
export function suggestionRows(from: CompiledRuleSet, ruleSet: RuleSetInput | null): SuggestionRow[] {
  const suggested = new Map((ruleSet?.scoring ?? []).map((rule) => [rule.id, rule]));
  const rows: SuggestionRow[] = from.definition.scoring.map((rule) => {
    const points = suggested.get(rule.id)?.points ?? null;
    return { id: rule.id, label: rule.label, current: rule.points, suggested: points, change: (points ?? 0) - rule.points };
  });
  const current = new Set(rows.map((row) => row.id));
  for (const rule of ruleSet?.scoring ?? []) {
    if (!current.has(rule.id)) rows.push({ id: rule.id, label: rule.label, current: null, suggested: rule.points, change: rule.points });
  }
  return rows;
}

/** Notes on a fitted suggestion, most important first. */
function fitNotes(report: SuggestReport): SuggestionNote[] {
  const notes: SuggestionNote[] = [];
  const held = report.auc.holdOut;
  const heldLeads = held.leads.won + held.leads.lost;
  const { original, pointsTable } = held;
  if (original.auc !== null && pointsTable.auc !== null && pointsTable.auc <= original.auc) {
    notes.push({
      code: 'no-better',
      message: `On the held-out leads the suggested table ranks no better than ${report.from} (AUC ${fixed(pointsTable.auc)} against ${fixed(original.auc)}): keep the current points, or suggest from a longer period.`,
      values: { from: report.from, suggested: fixed(pointsTable.auc), current: fixed(original.auc) },
    });
  }
  if (heldLeads < DEFAULT_MIN_SAMPLE) {
    notes.push({
      code: 'few-held-out',
      message: `Only ${heldLeads} leads were held out to judge the table, fewer than ${DEFAULT_MIN_SAMPLE}: the AUCs are wide guesses; suggest from a longer period.`,
      values: { leads: heldLeads, minimum: DEFAULT_MIN_SAMPLE },
    });
  }
  if (report.leads.open > 0) {
    notes.push({
      code: 'open-leads',
      message: `${report.leads.open} of ${report.leads.total} leads have no outcome yet: the points were learnt from the others only.`,
      values: { open: report.leads.open, total: report.leads.total },
    });
  }
  if (report.rules.droppedFromParent.length > 0) {
    const rules = report.rules.droppedFromParent.join(', ');
    notes.push({
      code: 'rules-dropped',
      message: `Rules of ${report.from} that rounded to 0 points are left out: ${rules}.`,
      values: { from: report.from, rules },
    });
  }
  if (!report.regression.converged) {
    notes.push({
      code: 'not-converged',
      message: `The regression stopped after ${report.regression.iterations} iterations without converging: the points may move on another run over more history.`,
      values: { iterations: report.regression.iterations },
    });
  }
  return notes;
}

/** The result of a suggestion that fitted. */
export function fittedResult(from: CompiledRuleSet, shape: HistoryShape, suggestion: Suggestion): SuggestionResult {
  const { report, ruleSet } = suggestion;
  const held = report.auc.holdOut;
  return {
    from: from.version,
    version: report.version,
    period: { since: shape.since, until: shape.until, firstEventAt: shape.firstEventAt, lastEventAt: shape.lastEventAt },
    events: shape.events,
    leads: { ...shape.leads, open: report.leads.open },
    horizonDays: report.horizonDays,
    refused: null,
    rows: suggestionRows(from, ruleSet),
    thresholds: { current: currentThresholds(from), suggested: report.thresholds },
    auc: { leads: held.leads, current: held.original, suggested: held.pointsTable, regression: held.regression },
    notes: fitNotes(report),
    ruleSet,
    report,
  };
}

/** The result of a history suggest would not fit, with the cause and the fix as its one note. */
export function refusedResult(
  from: CompiledRuleSet,
  version: string,
  shape: HistoryShape,
  horizonDays: number,
  refusal: { code: string; message: string },
): SuggestionResult {
  const { won, lost, total } = shape.leads;
  return {
    from: from.version,
    version,
    period: { since: shape.since, until: shape.until, firstEventAt: shape.firstEventAt, lastEventAt: shape.lastEventAt },
    events: shape.events,
    leads: { ...shape.leads, open: total - won - lost },
    horizonDays,
    refused: refusal,
    rows: suggestionRows(from, null),
    thresholds: { current: currentThresholds(from), suggested: null },
    auc: null,
    notes: [{ code: refusal.code, message: refusal.message, values: { won, lost, total } }],
    ruleSet: null,
    report: null,
  };
}
