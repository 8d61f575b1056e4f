/**
 * Evaluating one event against a lead: decay, attributes, the passage of time,
 * points, the lifecycle, band and route, with an explanation of each step.
 */
import type { CompiledRuleSet } from './ruleset';
import { INITIAL_STAGE, SYSTEM_EVENT_TYPES, TRIGGER_TIME } from './schema';
import { MS_PER_DAY, applyEngagementRule, bandOf, decayEngagement, fitPoints, round2 } from './scoring';
import { conditionData, refresh, type ConditionData } from './condition-data';
import { routeFor } from './routing';
import { canonicalTime, iso, parseTime } from './time';
import type { EvaluationResult, Explanation, LeadEvent, LeadState, RulePoints, Score, WebinarRecord } from './types';

/** An event the engine cannot apply (bad time, unknown type); nothing is changed. */
export class EvaluationError extends Error {
  override name = 'EvaluationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const SYSTEM_TYPES: ReadonlySet<string> = new Set(SYSTEM_EVENT_TYPES);

/** Whether the rule set (or the engine) knows this event type. */
export function isKnownEventType(ruleSet: CompiledRuleSet, type: string): boolean {
  return ruleSet.activityTypes.has(type) || SYSTEM_TYPES.has(type);
}

/** The event's time as epoch ms and in the engine's one format; most events already carry that format, which saves a Date. */
function timeOf(event: LeadEvent): { time: number; at: string } {
  const time = parseTime(event.occurredAt);
  if (Number.isNaN(time)) throw new EvaluationError('occurredAt', `not an ISO 8601 time: "${event.occurredAt}"`);
  return { time, at: canonicalTime(event.occurredAt, time) };
}

/**
 * Copies what evaluation changes in place (score, counts, tallies, history
 * lists), so the caller's state is never mutated. Attributes and routes are
 * replaced rather than changed, so sharing them is safe.
 */
export function cloneState(state: LeadState): LeadState {
  const rules: LeadState['rules'] = {};
  for (const id of Object.keys(state.rules)) rules[id] = { ...state.rules[id]! };
  return {
    ...state,
    score: { ...state.score },
    counts: { ...state.counts },
    rules,
    stageHistory: [...state.stageHistory],
    recentActivity: [...state.recentActivity],
    webinars: [...state.webinars],
  };
}

function newLead(ruleSet: CompiledRuleSet, event: LeadEvent, at: string): LeadState {
  return {
    leadId: event.leadId,
    ruleSetVersion: ruleSet.version,
    attributes: {},
    stage: INITIAL_STAGE,
    score: { total: 0, fit: 0, engagement: 0 },
    engagementAtLastActivity: 0,
    band: bandOf(ruleSet, 0),
    route: ruleSet.defaultRoute,
    asOf: at,
    firstSeenAt: at,
    lastActivityAt: null,
    stageEnteredAt: at,
    customer: false,
    lastDealAt: null,
    counts: {},
    rules: {},
    stageHistory: [{ from: null, to: INITIAL_STAGE, at, transitionId: null, eventId: event.id }],
    recentActivity: [],
    webinars: [],
    disqualifiedReason: null,
    eventCount: 0,
  };
}

/**
 * New attributes with the properties merged in. Spread defines own data
 * properties, so a "__proto__" key (JSON.parse makes it an own key) stays plain
 * data instead of replacing the prototype, as Object.assign would.
 */
function withAttributes(attributes: Record<string, unknown>, properties: Record<string, unknown>): Record<string, unknown> {
  return { ...attributes, ...properties };
}

/** A past customer: `customer: true`, or won deals listed in `pastDeals` (`[{ closedAt, amount }]`). */
function customerFromAttributes(attributes: Record<string, unknown>): { customer: boolean; lastDealAt: string | null } {
  let lastDealAt: number | null = null;
  const deals = attributes['pastDeals'];
  if (Array.isArray(deals)) {
    for (const deal of deals) {
      const closed = deal && typeof deal === 'object' ? Date.parse(String((deal as Record<string, unknown>)['closedAt'])) : NaN;
      if (!Number.isNaN(closed) && (lastDealAt === null || closed > lastDealAt)) lastDealAt = closed;
    }
  }
  const customer = attributes['customer'] === true || (Array.isArray(deals) && deals.length > 0);
  return { customer, lastDealAt: lastDealAt === null ? null : iso(lastDealAt) };
}

/** Sets the score in place: the state owns its score object (see cloneState), and replacing it would churn the old generation. */
function setScore(ruleSet: CompiledRuleSet, state: LeadState, fit: number, engagement: number): void {
  const score = state.score;
  score.total = round2(fit + engagement);
  score.fit = round2(fit);
  score.engagement = round2(engagement);
  state.band = bandOf(ruleSet, score.total);
}

/** What a lead's score at a later time depends on: its fit, and its engagement and time at its last activity. */
export type ScoreBasis = Pick<LeadState, 'lastActivityAt' | 'engagementAtLastActivity'> & { score: Pick<Score, 'fit'> };

/**
 * Engagement and total a lead has at `time` (epoch ms) without applying anything:
 * decay by whole days since its last activity. The same rule {@link applyEvent} uses.
 */
export function scoreAt(ruleSet: CompiledRuleSet, state: ScoreBasis, time: number): Score {
  const inactiveDays = state.lastActivityAt === null ? 0 : Math.floor((time - parseTime(state.lastActivityAt)) / MS_PER_DAY);
  const engagement = decayEngagement(state.engagementAtLastActivity, inactiveDays, ruleSet.definition.decay.halfLifeDays);
  return { total: round2(state.score.fit + engagement), fit: state.score.fit, engagement };
}

function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  while (list.length > limit) list.shift();
}

/**
 * Applies an event to a state the caller owns, in place; returns the
 * explanation. {@link evaluate} is the pure wrapper.
 */
export function applyEvent(ruleSet: CompiledRuleSet, existing: LeadState | null, event: LeadEvent): EvaluationResult {
  return applyTo(ruleSet, existing, event, false, true);
}

/** What {@link foldEvent} reports of one event: what a replay reads, without an explanation. */
export interface FoldResult {
  state: LeadState;
  /** The time the event was applied at (as in the explanation). */
  at: string;
  /** Points of the fit rules when fit was recomputed (a new lead, lead_updated, another version's state), else null. */
  fit: RulePoints[] | null;
  stageChanges: Explanation['stageChanges'];
}

/**
 * Applies an event in place like {@link applyEvent}, to the same score, band
 * and stages, but builds no explanation and keeps nothing only people read:
 * the state's recent activity and route are left as they were. For replays,
 * which fold millions of events and read only scores and stages; a state
 * folded this way is not one to store or show.
 */
export function foldEvent(ruleSet: CompiledRuleSet, existing: LeadState | null, event: LeadEvent): FoldResult {
  return applyTo(ruleSet, existing, event, false, false);
}

/**
 * {@link foldEvent} that leaves `lead` unchanged: the result shares what the
 * event does not change with `lead`, and copies only what it changes (copy on
 * write), where {@link cloneState} copies every container first.
 */
export function foldCopy(ruleSet: CompiledRuleSet, lead: LeadState, event: LeadEvent): FoldResult {
  return applyTo(ruleSet, { ...lead }, event, true, false);
}

/**
 * The evaluation itself. With `shared`, `existing` is a shallow copy whose
 * containers (score, counts, tallies, lists) still belong to the caller: each
 * is copied just before it is first changed (copy on write), so the pure path
 * copies only what an event touches. Without `explain`, see {@link foldEvent}.
 */
function applyTo(ruleSet: CompiledRuleSet, existing: LeadState | null, event: LeadEvent, shared: boolean, explain: true): EvaluationResult;
function applyTo(ruleSet: CompiledRuleSet, existing: LeadState | null, event: LeadEvent, shared: boolean, explain: false): FoldResult;
function applyTo(
  ruleSet: CompiledRuleSet,
  existing: LeadState | null,
  event: LeadEvent,
  shared: boolean,
  explain: boolean,
): EvaluationResult | FoldResult {
  if (!isKnownEventType(ruleSet, event.type)) {
    throw new EvaluationError('type', `unknown event type "${event.type}" in rule set ${ruleSet.version}`);
  }
  const { time: eventTime, at: eventAt } = timeOf(event);
  if (existing && existing.leadId !== event.leadId) {
    throw new EvaluationError('leadId', `event is for lead "${event.leadId}", state is lead "${existing.leadId}"`);
  }
  const state = existing ?? newLead(ruleSet, event, eventAt);
  // A late event never moves time backwards; callers that care replay history in order.
  const asOf = parseTime(state.asOf);
  const now = eventTime >= asOf ? eventTime : asOf;
  const at = eventTime >= asOf ? eventAt : state.asOf;
  const scoreBefore = explain ? { ...state.score } : state.score;
  if (shared) state.score = { ...state.score };
  const bandBefore = existing ? state.band : null;
  const stageChanges: Explanation['stageChanges'] = [];

  // Decay counts whole days since the last activity, from the engagement settled then: a lead
  // active every day does not fade, and system events (feedback, ticks) never reset the clock.
  const inactiveDays = state.lastActivityAt === null ? 0 : Math.floor((now - parseTime(state.lastActivityAt)) / MS_PER_DAY);
  const engagementBefore = state.score.engagement;
  let engagement = decayEngagement(state.engagementAtLastActivity, inactiveDays, ruleSet.definition.decay.halfLifeDays);
  const decay =
    explain && engagement !== engagementBefore
      ? { days: inactiveDays, before: engagementBefore, after: engagement, removed: round2(engagementBefore - engagement) }
      : null;

  let fitChanged = !existing || state.ruleSetVersion !== ruleSet.version;
  if (event.type === 'lead_updated') {
    state.attributes = withAttributes(state.attributes, event.properties);
    const derived = customerFromAttributes(state.attributes);
    state.customer = state.customer || derived.customer;
    if (derived.lastDealAt && (!state.lastDealAt || derived.lastDealAt > state.lastDealAt)) state.lastDealAt = derived.lastDealAt;
    fitChanged = true;
  }
  state.ruleSetVersion = ruleSet.version;

  const rules: RulePoints[] = [];
  let fit = state.score.fit;
  let fitRules: RulePoints[] | null = null;
  const data = conditionData(ruleSet, state, event, now, at);
  if (fitChanged) {
    fitRules = fitPoints(ruleSet, data);
    fit = fitRules.reduce((sum, r) => sum + r.points, 0);
    if (explain) rules.push(...fitRules);
  }
  setScore(ruleSet, state, fit, engagement);

  // Time passes first: a lead silent for months is dormant before its next click reactivates it.
  moveStage(ruleSet, state, event, TRIGGER_TIME, data, now, at, stageChanges, shared);

  if (ruleSet.activityTypes.has(event.type)) {
    if (shared) {
      state.counts = { ...state.counts };
      state.rules = { ...state.rules };
      state.recentActivity = [...state.recentActivity];
      if (ruleSet.webinarTypes.has(event.type)) state.webinars = [...state.webinars];
    }
    state.counts[event.type] = (state.counts[event.type] ?? 0) + 1;
    let earned = 0;
    const engagementRules = ruleSet.engagementRules.get(event.type);
    refresh(data, state, now);
    for (const compiled of engagementRules ?? []) {
      const tally = state.rules[compiled.rule.id];
      const points = applyEngagementRule(compiled, tally, data);
      if (!points) continue;
      if (explain) rules.push(points);
      earned += points.points;
      if (tally && !shared) {
        tally.times += 1;
        tally.points += points.points;
      } else if (tally) {
        state.rules[compiled.rule.id] = { times: tally.times + 1, points: tally.points + points.points };
      } else {
        state.rules[compiled.rule.id] = { times: 1, points: points.points };
      }
    }
    engagement = round2(engagement + earned);
    setScore(ruleSet, state, fit, engagement);
    state.engagementAtLastActivity = engagement;
    state.lastActivityAt = at;
    const limit = ruleSet.definition.handOff.recentActivityCount;
    if (explain) pushBounded(state.recentActivity, { eventId: event.id, type: event.type, at, points: round2(earned) }, limit);
    // Webinars stay in a folded state too: conditions read how many questions were asked.
    if (ruleSet.webinarTypes.has(event.type)) pushBounded(state.webinars, webinarRecord(event, at), limit);
  } else {
    applyOutcome(state, event, at);
  }

  if (event.type !== 'tick') moveStage(ruleSet, state, event, event.type, data, now, at, stageChanges, shared && stageChanges.length === 0);
  state.asOf = at;
  state.eventCount += 1;
  if (!explain) return { state, at, fit: fitRules, stageChanges };

  refresh(data, state, now);
  state.route = routeFor(ruleSet, data);
  const notes: string[] = [];
  if (ruleSet.activityTypes.has(event.type) && !ruleSet.engagementRules.has(event.type)) {
    notes.push(`no scoring rule applies to "${event.type}"`);
  }
  return {
    state,
    explanation: {
      eventId: event.id,
      eventType: event.type,
      at,
      ruleSetVersion: ruleSet.version,
      decay,
      rules,
      score: { before: scoreBefore, after: { ...state.score } },
      band: { before: bandBefore, after: state.band },
      stageChanges,
      route: state.route,
      notes,
    },
  };
}

/** Takes the lifecycle transition the trigger enables, if any, and records it. */
function moveStage(
  ruleSet: CompiledRuleSet,
  state: LeadState,
  event: LeadEvent,
  trigger: string,
  data: ConditionData,
  now: number,
  at: string,
  stageChanges: Explanation['stageChanges'],
  shared: boolean,
): void {
  // Most stages have no transition on most triggers: then there is nothing to bring up to date for.
  const candidates = ruleSet.lifecycle.candidates(state.stage, trigger);
  if (candidates.length === 0) return;
  refresh(data, state, now);
  const step = ruleSet.lifecycle.step(state.stage, { type: trigger, data }, candidates);
  if (!step) return;
  if (shared) state.stageHistory = [...state.stageHistory];
  const reason = typeof event.properties['reason'] === 'string' ? event.properties['reason'] : undefined;
  const change = { from: state.stage, to: step.to, at, transitionId: step.transition.id, eventId: event.id };
  state.stageHistory.push(reason && trigger !== TRIGGER_TIME ? { ...change, reason } : change);
  stageChanges.push({ from: state.stage, to: step.to, transitionId: step.transition.id, label: step.transition.label, trigger });
  state.stage = step.to;
  state.stageEnteredAt = at;
}

function webinarRecord(event: LeadEvent, at: string): WebinarRecord {
  const { title, question } = event.properties;
  const record: WebinarRecord = { eventId: event.id, at };
  if (typeof title === 'string') record.title = title;
  if (typeof question === 'string' && question) record.question = question;
  return record;
}

/** Sales feedback and outcomes that change what the engine knows of the lead beyond its stage. */
function applyOutcome(state: LeadState, event: LeadEvent, at: string): void {
  if (event.type === 'deal_won') {
    state.customer = true;
    state.lastDealAt = at;
  } else if (event.type === 'disqualified') {
    const reason = event.properties['reason'];
    state.disqualifiedReason = typeof reason === 'string' ? reason : 'unspecified';
  }
}

/**
 * Evaluates one event for one lead (`null` for a lead not seen before) and
 * returns the new state with an explanation. Pure: the given state is not
 * changed, time comes only from events, and equal inputs give equal outputs.
 */
export function evaluate(ruleSet: CompiledRuleSet, lead: LeadState | null, event: LeadEvent): EvaluationResult {
  return applyTo(ruleSet, lead ? { ...lead } : null, event, lead !== null, true);
}

/**
 * Evaluates a time-ordered batch of events (any number of leads) and returns
 * each lead's final state. Equal to calling {@link evaluate} event by event.
 */
export function evaluateBatch(
  ruleSet: CompiledRuleSet,
  events: Iterable<LeadEvent>,
  leads: ReadonlyMap<string, LeadState> = new Map(),
): Map<string, LeadState> {
  const states = new Map<string, LeadState>();
  for (const event of events) {
    let state = states.get(event.leadId);
    if (!state) {
      const known = leads.get(event.leadId);
      state = known ? cloneState(known) : undefined;
    }
    states.set(event.leadId, applyEvent(ruleSet, state ?? null, event).state);
  }
  return states;
}
