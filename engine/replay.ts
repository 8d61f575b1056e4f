/**
 * Replay: folds a time-ordered history of events through several rule-set
 * versions in one pass, each version's lead state kept side by side, and
 * records per lead what each version would have done (hand-off, score, band,
 * stages) next to what really happened (won or lost).
 *
 * The judgement point never depends on the outcome: a version is judged on
 * the score a lead had when the version handed it to sales within the
 * horizon (a fixed time after the lead's first event), or else on its score
 * after its last event within the horizon. Outcome events (deal_won,
 * deal_lost) never reach the state a version is judged on, so neither when an
 * outcome was recorded nor which it was can move a judgement, a hand-off, or a
 * score high.
 *
 * Leads never affect each other, so only each lead's own events need to be in
 * time order. A stream grouped by lead (each lead's events together) lets the
 * replay finish a lead when its group ends and hold one lead's state at a
 * time: with 100,000 leads that is several times faster than keeping every
 * state alive and visiting them in random order.
 */
import { cloneState, foldEvent, isKnownEventType } from './evaluate';
import { byCodeUnit } from './order';
import { canonicalTime, iso, parseTime } from './time';
import type { CompiledRuleSet } from './ruleset';
import { INITIAL_STAGE, type Band, type Stage } from './schema';
import { bandOf, MS_PER_DAY } from './scoring';
import type { LeadEvent, LeadState, StageChange } from './types';

/** Stages in sales' hands: a lead's first entry into any of them is its hand-off. */
export const SALES_STAGES: readonly Stage[] = ['mql', 'sal', 'sql', 'won', 'lost'];

/** Outcome events: the ground truth every version is measured against. */
export const OUTCOME_EVENT_TYPES = { won: 'deal_won', lost: 'deal_lost' } as const;

/**
 * What sales and the market did. These events flow into every version's state
 * (they move stages where the version allows), but a stage they cause is never
 * the version's hand-off: that would credit a version with sales' own work.
 */
export const FEEDBACK_EVENT_TYPES: ReadonlySet<string> = new Set([
  'sales_accepted',
  'sales_rejected',
  'sales_qualified',
  'deal_won',
  'deal_lost',
  'disqualified',
]);

const SALES_STAGE_SET: ReadonlySet<string> = new Set(SALES_STAGES);

const OUTCOME_TYPE_SET: ReadonlySet<string> = new Set(Object.values(OUTCOME_EVENT_TYPES));

/** How long after a lead's first event a version has to hand it over, by default: about one quarter, a common B2B cycle. */
export const DEFAULT_HORIZON_DAYS = 90;

/** A history the replay cannot fold (bad time, events out of order, bad period). */
export class ReplayError extends Error {
  override name = 'ReplayError';
}

export interface ReplayOptions {
  /** Only leads first seen at or after this time (ISO 8601) are replayed. */
  since?: string;
  /** Events at or after this time (ISO 8601) are left out. */
  until?: string;
  /**
   * Days after a lead's first event (outcome events aside) within which a
   * version's hand-off counts and after which it is judged; default
   * {@link DEFAULT_HORIZON_DAYS}.
   */
  horizonDays?: number;
  /**
   * The stream holds each lead's events together (leads in any order): each
   * lead is finished when its group ends. A lead that appears in two groups
   * is a {@link ReplayError}.
   */
  groupedByLead?: boolean;
}

/** What really happened: the lead's first deal_won or deal_lost in the period. */
export interface Outcome {
  result: 'won' | 'lost';
  at: string;
  eventId: string;
  /** `properties.amount` of the outcome event, when it is a number. */
  amount: number | null;
}

export interface HandOff {
  at: string;
  /** The sales stage the lead entered (usually "mql"; "sql" for a customer's request in v1). */
  stage: Stage;
  transitionId: string;
  score: number;
  band: Band;
}

/** The score a version is judged on, and when it was taken. */
export interface Judgement {
  at: string;
  /**
   * "hand-off": at the version's hand-off within the horizon; "horizon": after
   * the lead's last event within the horizon (its first event's time when
   * every event so far was an outcome).
   */
  basis: 'hand-off' | 'horizon';
  score: number;
  band: Band;
  /** Points per scoring rule at that time: engagement points given so far (before decay) and current fit points. */
  rules: Record<string, number>;
}

/** A new highest score after an activity event within the horizon; the threshold what-if reads these. */
export interface ScoreHigh {
  score: number;
  at: string;
  /** `at` in epoch ms. */
  time: number;
}

/** What one version did with one lead. */
export interface VersionRecord {
  /** The version's first hand-off within the horizon; a later one is not the version's decision on this lead. */
  handOff: HandOff | null;
  judged: Judgement;
  /** Points per scoring rule after the lead's last event within the horizon: the same moment for every version. */
  horizonRules: Record<string, number>;
  /** Strictly increasing scores within the horizon, each the first time the lead's score exceeded every earlier one. */
  highs: ScoreHigh[];
  /** Stage at the end of the period (outcomes and every later event applied). */
  stage: Stage;
  /** Every stage change in the period, including those after the outcome. */
  stageHistory: StageChange[];
}

export interface LeadReplay {
  leadId: string;
  firstTouchAt: string;
  /** The lead's last event other than an outcome (its first event when it has none): when it was last active. */
  lastActivityAt: string;
  outcome: Outcome | null;
  /** One record per rule set, in the order the rule sets were given. */
  versions: VersionRecord[];
}

export interface ReplayResult {
  versions: string[];
  /** Each version's hand-off (MQL) threshold. */
  thresholds: number[];
  /** Each version's band thresholds (minimum scores of hot and warm). */
  bands: Array<{ hot: number; warm: number }>;
  /** The judgement horizon in days. */
  horizonDays: number;
  period: {
    since: string | null;
    until: string | null;
    firstEventAt: string | null;
    lastEventAt: string | null;
    /** The end of the period: `until`, or the last event read. Open leads' idle time is counted to it. */
    endAt: string | null;
  };
  events: {
    /** Events read from the stream (before `until`). */
    read: number;
    /** Events of leads first seen before `since`, left out. */
    beforePeriod: number;
    /** Per version: events of types the version does not know, by type; they are skipped for that version. */
    unknownTypes: Array<Record<string, number>>;
  };
  /** Leads first seen in the period, sorted by id. */
  leads: LeadReplay[];
}

interface VersionFold {
  /** The lead's state after every event the version knows, outcomes included: the stages it ends in. */
  state: LeadState | null;
  /**
   * The state the version is judged on, outcome events left out. It is
   * `state` itself until an outcome arrives within the horizon; from then on
   * a copy folded apart ({@link forked}).
   */
  view: LeadState | null;
  forked: boolean;
  handOff: HandOff | null;
  judged: Judgement | null;
  horizonRules: Record<string, number> | null;
  highs: ScoreHigh[];
  /** Current fit points by rule; the engine recomputes fit on a lead's first event and on lead_updated. */
  fit: Record<string, number>;
  /** When the judged view last changed. */
  viewAt: string | null;
}

interface LeadFold {
  leadId: string;
  firstTouchAt: string;
  /** Time of the lead's latest event, to check its history is in order. */
  lastTime: number;
  lastActivityAt: string | null;
  /** End of the horizon (epoch ms): null until the lead's first event other than an outcome. */
  horizonEnd: number | null;
  /** The horizon has passed: every version's judgement is taken. */
  judged: boolean;
  outcome: Outcome | null;
  versions: VersionFold[];
}

/**
 * Where a replay keeps finished leads: as records ({@link replay}), or
 * written straight to columns (see columns.ts), so records need not be kept.
 */
export interface LeadKeeper<T> {
  /** Keeps a finished lead. */
  add(lead: LeadReplay): void;
  /** Everything kept, leads in lead-id order; `duplicate` is called for a lead kept twice. */
  finish(head: Omit<ReplayResult, 'leads'>, duplicate: (leadId: string) => never): T;
}

/** Keeps leads as records. */
class RecordKeeper implements LeadKeeper<ReplayResult> {
  private readonly leads: LeadReplay[] = [];

  add(lead: LeadReplay): void {
    this.leads.push(lead);
  }

  finish(head: Omit<ReplayResult, 'leads'>, duplicate: (leadId: string) => never): ReplayResult {
    const leads = this.leads.sort((a, b) => byCodeUnit(a.leadId, b.leadId));
    for (let i = 1; i < leads.length; i++) if (leads[i]!.leadId === leads[i - 1]!.leadId) duplicate(leads[i]!.leadId);
    return { ...head, leads };
  }
}

function notATime(what: string, value: string): ReplayError {
  return new ReplayError(`${what}: not an ISO 8601 time: "${value}"`);
}

function timeOf(value: string, what: string): number {
  const time = parseTime(value);
  if (Number.isNaN(time)) throw notATime(what, value);
  return time;
}

function ruleTallies(fit: Record<string, number>, state: LeadState | null): Record<string, number> {
  // Object.keys rather than spread and for-in: tallies come in many shapes, and this runs once per lead and version.
  const rules: Record<string, number> = {};
  for (const id of Object.keys(fit)) rules[id] = fit[id]!;
  if (state) {
    const tallies = state.rules;
    for (const id of Object.keys(tallies)) rules[id] = tallies[id]!.points;
  }
  return rules;
}

function newLead(event: LeadEvent, time: number, versions: number): LeadFold {
  return {
    leadId: event.leadId,
    firstTouchAt: canonicalTime(event.occurredAt, time),
    lastTime: time,
    lastActivityAt: null,
    horizonEnd: null,
    judged: false,
    outcome: null,
    versions: Array.from({ length: versions }, () => ({
      state: null,
      view: null,
      forked: false,
      handOff: null,
      judged: null,
      horizonRules: null,
      highs: [],
      fit: {},
      viewAt: null,
    })),
  };
}

function outcomeOf(event: LeadEvent, time: number): Outcome | null {
  const result = event.type === OUTCOME_EVENT_TYPES.won ? 'won' : event.type === OUTCOME_EVENT_TYPES.lost ? 'lost' : null;
  if (!result) return null;
  const amount = event.properties['amount'];
  return {
    result,
    at: canonicalTime(event.occurredAt, time),
    eventId: event.id,
    amount: typeof amount === 'number' && Number.isFinite(amount) ? amount : null,
  };
}

/**
 * Applies one event within the horizon to one version: an outcome only to
 * the full state (the judged view is forked off first), anything else to
 * both, recording fit, score highs and the hand-off from the judged view.
 */
function foldWithinHorizon(ruleSet: CompiledRuleSet, fold: VersionFold, event: LeadEvent, time: number): void {
  if (OUTCOME_TYPE_SET.has(event.type)) {
    if (!fold.forked) {
      fold.view = fold.state && cloneState(fold.state);
      fold.forked = true;
    }
    fold.state = foldEvent(ruleSet, fold.state, event).state;
    return;
  }
  const { state, at, fit, stageChanges } = foldEvent(ruleSet, fold.view, event);
  fold.view = state;
  if (fold.forked) fold.state = foldEvent(ruleSet, fold.state, event).state;
  else fold.state = state;
  fold.viewAt = at;
  if (fit) {
    fold.fit = {};
    for (const rule of fit) fold.fit[rule.ruleId] = rule.points;
  }
  const total = state.score.total;
  if (ruleSet.activityTypes.has(event.type)) {
    const last = fold.highs[fold.highs.length - 1];
    if (!last || total > last.score) fold.highs.push({ score: total, at, time });
  }
  if (fold.handOff || stageChanges.length === 0) return;
  for (const change of stageChanges) {
    if (!SALES_STAGE_SET.has(change.to) || FEEDBACK_EVENT_TYPES.has(change.trigger)) continue;
    fold.handOff = { at, stage: change.to, transitionId: change.transitionId, score: total, band: state.band };
    fold.judged = { at, basis: 'hand-off', score: total, band: state.band, rules: ruleTallies(fold.fit, state) };
    return;
  }
}

/** Takes every version's judgement at the end of the lead's horizon (after its last event within it) and drops the judged views. */
function closeHorizon(ruleSets: readonly CompiledRuleSet[], lead: LeadFold): void {
  lead.judged = true;
  lead.versions.forEach((fold, i) => {
    const view = fold.view;
    const rules = ruleTallies(fold.fit, view);
    fold.horizonRules = rules;
    if (!fold.judged) {
      const score = view ? view.score.total : 0;
      const band = view ? view.band : bandOf(ruleSets[i]!, 0);
      fold.judged = { at: fold.viewAt ?? lead.firstTouchAt, basis: 'horizon', score, band, rules };
    }
    fold.view = null;
    fold.forked = false;
  });
}

/** Hands a finished lead to the keeper. */
function keepLead<T>(ruleSets: readonly CompiledRuleSet[], lead: LeadFold, keeper: LeadKeeper<T>): void {
  if (!lead.judged) closeHorizon(ruleSets, lead);
  keeper.add({
    leadId: lead.leadId,
    firstTouchAt: lead.firstTouchAt,
    lastActivityAt: lead.lastActivityAt ?? lead.firstTouchAt,
    outcome: lead.outcome,
    versions: lead.versions.map((fold) => ({
      handOff: fold.handOff,
      judged: fold.judged!,
      horizonRules: fold.horizonRules!,
      highs: fold.highs,
      stage: fold.state?.stage ?? INITIAL_STAGE,
      stageHistory: fold.state?.stageHistory ?? [],
    })),
  });
}

/** The counts with their keys in code-unit order, so a report does not depend on the order leads were read in. */
function sortedKeys(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => byCodeUnit(a, b)));
}

/**
 * A replay of part of the leads (a share), whose open leads are not judged
 * yet: with no `until`, the end of the period is the last event of the whole
 * history, which the shares replayed apart (in separate threads) learn only
 * from each other.
 */
export interface ReplayShare<T = ReplayResult> {
  /** Times (epoch ms) of the earliest and latest event this share read; null when it read none. */
  firstEventTime: number | null;
  lastEventTime: number | null;
  /**
   * The share's result, its period that of the whole history (`whole`: the
   * earliest and latest event time of all shares). Its event counts are the
   * share's own.
   */
  finish(whole: Pick<ReplayShare, 'firstEventTime' | 'lastEventTime'>): T;
}

/**
 * Replays a stream of events (any number of leads, each lead's events in time
 * order) through each rule set in one pass. Pure: the rule sets and events
 * are not changed, and the same inputs give the same result whatever the
 * order of the leads. Throws a {@link ReplayError} when an event's time is
 * unreadable or earlier than the lead's event before it.
 */
export function replay(ruleSets: readonly CompiledRuleSet[], events: Iterable<LeadEvent>, options: ReplayOptions = {}): ReplayResult {
  const share = replayShare(ruleSets, events, options);
  return share.finish(share);
}

/**
 * {@link replay} of a share of the leads: every event of a lead must be in
 * the same share. The shares' results, finished with the same whole, hold
 * together exactly what the replay of the whole history holds. A `keeper`
 * other than the default keeps finished leads in another form (columns).
 */
export function replayShare(ruleSets: readonly CompiledRuleSet[], events: Iterable<LeadEvent>, options?: ReplayOptions): ReplayShare;
export function replayShare<T>(
  ruleSets: readonly CompiledRuleSet[],
  events: Iterable<LeadEvent>,
  options: ReplayOptions,
  keeper: LeadKeeper<T>,
): ReplayShare<T>;
export function replayShare(
  ruleSets: readonly CompiledRuleSet[],
  events: Iterable<LeadEvent>,
  options: ReplayOptions = {},
  keeper: LeadKeeper<unknown> = new RecordKeeper(),
): ReplayShare<unknown> {
  const since = options.since === undefined ? null : timeOf(options.since, 'since');
  const until = options.until === undefined ? null : timeOf(options.until, 'until');
  if (since !== null && until !== null && until <= since)
    throw new ReplayError(`until (${options.until}) must be after since (${options.since})`);
  const horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  if (!(Number.isFinite(horizonDays) && horizonDays > 0))
    throw new ReplayError(`horizon must be a positive number of days, not ${horizonDays}`);
  const horizon = horizonDays * MS_PER_DAY;

  const open = new Map<string, LeadFold>();
  const beforePeriodLeads = new Set<string>();
  const unknownTypes = ruleSets.map(() => ({}) as Record<string, number>);
  let read = 0;
  let beforePeriod = 0;
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  let group: string | null = null;

  const finish = (lead: LeadFold) => {
    open.delete(lead.leadId);
    keepLead(ruleSets, lead, keeper);
  };

  for (const event of events) {
    // Not timeOf: its message would be built for every event of the history.
    const time = parseTime(event.occurredAt);
    if (Number.isNaN(time)) throw notATime(`event "${event.id}" occurredAt`, event.occurredAt);
    if (until !== null && time >= until) continue;
    if (options.groupedByLead && event.leadId !== group) {
      const previous = group === null ? undefined : open.get(group);
      if (previous) finish(previous);
      group = event.leadId;
    }
    read += 1;
    if (firstTime === null || time < firstTime) firstTime = time;
    if (lastTime === null || time > lastTime) lastTime = time;

    let lead = open.get(event.leadId);
    if (!lead) {
      if (beforePeriodLeads.has(event.leadId) || (since !== null && time < since)) {
        beforePeriodLeads.add(event.leadId);
        beforePeriod += 1;
        continue;
      }
      lead = newLead(event, time, ruleSets.length);
      open.set(event.leadId, lead);
    } else if (time < lead.lastTime) {
      throw new ReplayError(
        `event "${event.id}" at ${event.occurredAt} is earlier than the event before it of lead "${event.leadId}": replay needs each lead's history in time order`,
      );
    }
    lead.lastTime = time;

    const outcome = outcomeOf(event, time);
    if (outcome) lead.outcome ??= outcome;
    else {
      lead.lastActivityAt = canonicalTime(event.occurredAt, time);
      lead.horizonEnd ??= time + horizon;
    }
    // The horizon ends after its last event: judge every version before an event past it is applied.
    if (!lead.judged && lead.horizonEnd !== null && time > lead.horizonEnd) closeHorizon(ruleSets, lead);
    for (let i = 0; i < ruleSets.length; i++) {
      const ruleSet = ruleSets[i]!;
      const fold = lead.versions[i]!;
      if (!isKnownEventType(ruleSet, event.type)) {
        const counts = unknownTypes[i]!;
        counts[event.type] = (counts[event.type] ?? 0) + 1;
        continue;
      }
      if (lead.judged) fold.state = foldEvent(ruleSet, fold.state, event).state;
      else foldWithinHorizon(ruleSet, fold, event, time);
    }
  }
  for (const lead of open.values()) finish(lead);

  let finished = false;
  return {
    firstEventTime: firstTime,
    lastEventTime: lastTime,
    finish(whole) {
      const { firstEventTime: from, lastEventTime: to } = whole;
      const within = (time: number | null) => time === null || (from !== null && to !== null && from <= time && time <= to);
      if (!within(firstTime) || !within(lastTime)) {
        throw new RangeError("the whole history's first and last events must bound this share's");
      }
      if (finished) throw new Error('a replay share is finished once');
      finished = true;
      const endTime = until ?? whole.lastEventTime;
      const head = {
        versions: ruleSets.map((ruleSet) => ruleSet.version),
        thresholds: ruleSets.map((ruleSet) => ruleSet.definition.lifecycle.thresholds.mql),
        bands: ruleSets.map((ruleSet) => ({ ...ruleSet.definition.bands })),
        horizonDays,
        period: {
          since: since === null ? null : iso(since),
          until: until === null ? null : iso(until),
          firstEventAt: whole.firstEventTime === null ? null : iso(whole.firstEventTime),
          lastEventAt: whole.lastEventTime === null ? null : iso(whole.lastEventTime),
          endAt: endTime === null ? null : iso(endTime),
        },
        events: { read, beforePeriod, unknownTypes: unknownTypes.map(sortedKeys) },
      };
      // A lead kept twice came in two groups: found once leads are sorted, rather than by remembering every finished lead.
      return keeper.finish(head, (leadId) => {
        throw new ReplayError(`lead "${leadId}" appears in two places: a grouped history holds each lead's events together`);
      });
    },
  };
}
