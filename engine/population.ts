/**
 * Population impact: where a version puts every lead at one judgement time,
 * and the figures that compare a draft with the active version on the same
 * leads: score histogram, leads per band and stage, hand-offs per week, a
 * fit × engagement grid, and the leads that change band with what made the
 * difference. Pure: the judgement time is given, never read from a clock.
 *
 * A lead is judged as the stored lead would be at that time: all its events
 * applied in history order (outcomes and sales feedback included, as
 * ingestion applies them), then one tick at the judgement time, so decay and
 * time-triggered transitions (dormancy, recycling) are those a scheduler
 * would have applied by then.
 */
import { tickEvent } from './clock';
import { foldEvent, isKnownEventType } from './evaluate';
import { isoWeek, isoWeekStart } from './metrics';
import { FEEDBACK_EVENT_TYPES, SALES_STAGES } from './replay';
import type { CompiledRuleSet } from './ruleset';
import { BANDS, INITIAL_STAGE, STAGES, type Band, type Stage } from './schema';
import { bandOf, MS_PER_DAY } from './scoring';
import { iso, parseTime } from './time';
import type { LeadEvent, LeadState } from './types';

/** Where one version puts one lead at the judgement time. */
export interface LeadStanding {
  leadId: string;
  score: number;
  fit: number;
  engagement: number;
  band: Band;
  stage: Stage;
  /** Epoch ms of the version's hand-off: the lead's first entry into a sales stage not caused by sales feedback; null if none. */
  handOffAt: number | null;
  /** Points per scoring rule: fit rules holding now, engagement rules' points given so far (before decay). */
  rules: Record<string, number>;
}

const SALES_STAGE_SET: ReadonlySet<string> = new Set(SALES_STAGES);

/**
 * The standing of one lead under `ruleSet` at `now` (epoch ms), from its
 * events in history order. Events of types the version does not know are
 * skipped, as a replay skips them.
 */
export function leadStanding(ruleSet: CompiledRuleSet, leadId: string, events: readonly LeadEvent[], now: number): LeadStanding {
  let state: LeadState | null = null;
  let handOffAt: number | null = null;
  let fit: Record<string, number> = {};
  for (const event of events) {
    if (!isKnownEventType(ruleSet, event.type)) continue;
    const folded = foldEvent(ruleSet, state, event);
    state = folded.state;
    if (folded.fit) fit = Object.fromEntries(folded.fit.map((rule) => [rule.ruleId, rule.points]));
    if (handOffAt === null && folded.stageChanges.some((c) => SALES_STAGE_SET.has(c.to) && !FEEDBACK_EVENT_TYPES.has(c.trigger))) {
      handOffAt = parseTime(folded.at);
    }
  }
  if (state && now > parseTime(state.asOf)) {
    const ticked = foldEvent(ruleSet, state, tickEvent(state, iso(now)));
    state = ticked.state;
    if (handOffAt === null && ticked.stageChanges.some((c) => SALES_STAGE_SET.has(c.to))) handOffAt = now;
  }
  const rules: Record<string, number> = { ...fit };
  for (const id in state?.rules) rules[id] = state.rules[id]!.points;
  const score = state?.score ?? { total: 0, fit: 0, engagement: 0 };
  return {
    leadId,
    score: score.total,
    fit: score.fit,
    engagement: score.engagement,
    band: state ? state.band : bandOf(ruleSet, 0),
    stage: state?.stage ?? INITIAL_STAGE,
    handOffAt,
    rules,
  };
}

export type FitGrade = 'A' | 'B' | 'C';
export type EngagementGrade = '1' | '2' | '3';

/**
 * Where the grid's grades start. Fit: A from two thirds of the highest fit
 * the fit rules can give together (the sum of their positive points), B from
 * one third. Engagement: 1 from the hot band's threshold (hot on engagement
 * alone), 2 from the warm band's.
 */
export interface GridCuts {
  fit: { A: number; B: number };
  engagement: { '1': number; '2': number };
}

/** The grid's cut points from a rule set (see {@link GridCuts}). */
export function gridCuts(ruleSet: CompiledRuleSet): GridCuts {
  const highestFit = ruleSet.definition.scoring.filter((r) => r.kind === 'fit').reduce((sum, r) => sum + Math.max(0, r.points), 0);
  const third = Math.round((highestFit / 3) * 100) / 100;
  const { hot, warm } = ruleSet.definition.bands;
  return { fit: { A: 2 * third, B: third }, engagement: { '1': hot, '2': warm } };
}

/** Score histogram bins: `counts[i]` leads scored in [start + i·width, start + (i+1)·width). */
export interface Histogram {
  start: number;
  width: number;
  counts: number[];
}

export interface PopulationFigures {
  leads: number;
  histogram: Histogram;
  bands: Record<Band, number>;
  stages: Record<Stage, number>;
  /** Hand-offs per ISO week of the period, every week listed, and their mean. */
  handOffs: { total: number; weeks: Array<{ week: string; count: number }>; meanPerWeek: number | null };
  /** Leads per fit grade (rows) and engagement grade (columns). */
  grid: Record<FitGrade, Record<EngagementGrade, number>>;
}

/** A lead the draft puts in another band than the active version, and why. */
export interface BandChange {
  leadId: string;
  from: { score: number; band: Band; stage: Stage };
  to: { score: number; band: Band; stage: Stage };
  /** Scoring rules whose points differ, largest difference first. */
  rules: Array<{ ruleId: string; from: number; to: number }>;
  /** Band thresholds that changed and lie between the lead's two scores, or at its score when unchanged. */
  thresholds: Array<{ threshold: 'hot' | 'warm'; from: number; to: number }>;
}

export interface PopulationImpact {
  /** The judgement time, ISO 8601. */
  judgedAt: string;
  cuts: GridCuts;
  active: PopulationFigures;
  draft: PopulationFigures;
  /** Leads in another band under the draft, and the first `top` of them by score change. */
  bandChanged: number;
  changes: BandChange[];
}

/** Bins at most, for a histogram: enough to see a threshold's effect without a bar per point. */
const MAX_BINS = 25;
const NICE_WIDTHS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];

/** Bins shared by both versions: from 0 (or the lowest score) to past the highest, in a round width. */
function binsFor(scores: Iterable<number>): Omit<Histogram, 'counts'> & { bins: number } {
  let low = 0;
  let high = 0;
  for (const score of scores) {
    if (score < low) low = score;
    if (score > high) high = score;
  }
  const span = Math.max(1, high - low);
  const width = NICE_WIDTHS.find((w) => span / w <= MAX_BINS) ?? Math.ceil(span / MAX_BINS);
  const start = Math.floor(low / width) * width;
  return { start, width, bins: Math.floor((high - start) / width) + 1 };
}

function grade<G extends string>(value: number, cuts: Array<[G, number]>, last: G): G {
  for (const [name, from] of cuts) if (value >= from) return name;
  return last;
}

function figuresOf(
  standings: readonly LeadStanding[],
  bins: ReturnType<typeof binsFor>,
  cuts: GridCuts,
  weeks: number[],
): PopulationFigures {
  const counts = new Array<number>(bins.bins).fill(0);
  const bands = Object.fromEntries(BANDS.map((b) => [b, 0])) as Record<Band, number>;
  const stages = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const grid = { A: { '1': 0, '2': 0, '3': 0 }, B: { '1': 0, '2': 0, '3': 0 }, C: { '1': 0, '2': 0, '3': 0 } };
  const perWeek = new Map<number, number>(weeks.map((w) => [w, 0]));
  let handOffs = 0;
  for (const s of standings) {
    counts[Math.floor((s.score - bins.start) / bins.width)]!++;
    bands[s.band]++;
    stages[s.stage]++;
    const fit = grade<FitGrade>(
      s.fit,
      [
        ['A', cuts.fit.A],
        ['B', cuts.fit.B],
      ],
      'C',
    );
    const engagement = grade<EngagementGrade>(
      s.engagement,
      [
        ['1', cuts.engagement['1']],
        ['2', cuts.engagement['2']],
      ],
      '3',
    );
    grid[fit][engagement]++;
    if (s.handOffAt === null) continue;
    handOffs++;
    const week = isoWeekStart(s.handOffAt);
    perWeek.set(week, (perWeek.get(week) ?? 0) + 1);
  }
  const weekly = [...perWeek].sort(([a], [b]) => a - b).map(([week, count]) => ({ week: isoWeek(week), count }));
  return {
    leads: standings.length,
    histogram: { start: bins.start, width: bins.width, counts },
    bands,
    stages,
    handOffs: { total: handOffs, weeks: weekly, meanPerWeek: weekly.length === 0 ? null : handOffs / weekly.length },
    grid,
  };
}

function bandChange(from: LeadStanding, to: LeadStanding, active: CompiledRuleSet, draft: CompiledRuleSet): BandChange {
  const ids = new Set([...Object.keys(from.rules), ...Object.keys(to.rules)]);
  const rules = [...ids]
    .map((ruleId) => ({ ruleId, from: from.rules[ruleId] ?? 0, to: to.rules[ruleId] ?? 0 }))
    .filter((r) => r.from !== r.to)
    .sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from) || (a.ruleId < b.ruleId ? -1 : 1));
  const low = Math.min(from.score, to.score);
  const high = Math.max(from.score, to.score);
  const thresholds = (['hot', 'warm'] as const).flatMap((threshold) => {
    const before = active.definition.bands[threshold];
    const after = draft.definition.bands[threshold];
    if (before === after) return [];
    const crossed = (t: number) => t > low && t <= high;
    const moved = from.score === to.score ? Math.min(before, after) <= from.score && from.score < Math.max(before, after) : false;
    return crossed(before) || crossed(after) || moved ? [{ threshold, from: before, to: after }] : [];
  });
  const view = (s: LeadStanding) => ({ score: s.score, band: s.band, stage: s.stage });
  return { leadId: from.leadId, from: view(from), to: view(to), rules, thresholds };
}

/**
 * The figures of the active version and the draft on the same leads (the
 * standings of each, in the same lead order), judged at `now` (epoch ms).
 * Hand-offs are counted per ISO week from the week of `firstEventAt` to the
 * week of `now`; the grid's cut points are the draft's, for both versions, so
 * a cell moves only when a lead does.
 */
export function populationImpact(
  versions: { active: CompiledRuleSet; draft: CompiledRuleSet },
  standings: { active: readonly LeadStanding[]; draft: readonly LeadStanding[] },
  options: { now: number; firstEventAt: number | null; top: number },
): PopulationImpact {
  const { active, draft } = standings;
  if (active.length !== draft.length) throw new RangeError('both versions must be judged on the same leads');
  const bins = binsFor(
    (function* () {
      for (const s of active) yield s.score;
      for (const s of draft) yield s.score;
    })(),
  );
  const cuts = gridCuts(versions.draft);
  const weeks: number[] = [];
  if (options.firstEventAt !== null) {
    for (let week = isoWeekStart(options.firstEventAt); week <= options.now; week += 7 * MS_PER_DAY) weeks.push(week);
  }
  const changed: BandChange[] = [];
  let bandChanged = 0;
  for (let i = 0; i < active.length; i++) {
    if (active[i]!.leadId !== draft[i]!.leadId) throw new RangeError(`lead ${i} differs: ${active[i]!.leadId}, ${draft[i]!.leadId}`);
    if (active[i]!.band === draft[i]!.band) continue;
    bandChanged++;
    changed.push(bandChange(active[i]!, draft[i]!, versions.active, versions.draft));
  }
  changed.sort((a, b) => Math.abs(b.to.score - b.from.score) - Math.abs(a.to.score - a.from.score) || (a.leadId < b.leadId ? -1 : 1));
  return {
    judgedAt: iso(options.now),
    cuts,
    active: figuresOf(active, bins, cuts, weeks),
    draft: figuresOf(draft, bins, cuts, weeks),
    bandChanged,
    changes: changed.slice(0, options.top),
  };
}
