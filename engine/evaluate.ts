/**
 * Evaluating one event against a lead: decay, attributes, the passage of time,
 * points, the lifecycle, band and route, with an explanation of each step.
 */
import type { CompiledRuleSet } from './ruleset';
import { INITIAL_STAGE, SYSTEM_EVENT_TYPES, TRIGGER_TIME } from './schema';
import { MS_PER_DAY, applyEngagementRule, bandOf, decayEngagement, fitPoints, round2 } from './scoring';
import { routeFor } from './routing';
import type { EvaluationResult, Explanation, LeadEvent, LeadState, RulePoints, Score } from './types';

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

function timeOf(event: LeadEvent): number {
  const time = Date.parse(event.occurredAt);
  if (Number.isNaN(time)) throw new EvaluationError('occurredAt', `not an ISO 8601 time: "${event.occurredAt}"`);
  return time;
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

/** Copies the parts of a state that evaluation changes, so the caller's state is never mutated. */
export function cloneState(state: LeadState): LeadState {
  return {
    ...state,
    attributes: { ...state.attributes },
    score: { ...state.score },
    route: { ...state.route },
    counts: { ...state.counts },
    rules: Object.fromEntries(Object.entries(state.rules).map(([id, tally]) => [id, { ...tally }])),
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
    route: routeFor(ruleSet, {}),
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
 * Copies properties as own data properties. Unlike Object.assign, a "__proto__"
 * key (JSON.parse makes it an own key) stays plain data instead of replacing the prototype.
 */
function mergeAttributes(attributes: Record<string, unknown>, properties: Record<string, unknown>): void {
  for (const key of Object.keys(properties)) {
    Object.defineProperty(attributes, key, { value: properties[key], enumerable: true, writable: true, configurable: true });
  }
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

function daysBetween(from: string | null, to: number): number | null {
  return from === null ? null : (to - Date.parse(from)) / MS_PER_DAY;
}

/** The data every condition, guard and routing rule reads. Documented in the README. */
function conditionData(ruleSet: CompiledRuleSet, state: LeadState, event: LeadEvent, now: number) {
  const { thresholds, timing } = ruleSet.definition.lifecycle;
  return {
    now: iso(now),
    event: { id: event.id, type: event.type, occurredAt: event.occurredAt, properties: event.properties },
    lead: { id: state.leadId, attributes: state.attributes, stage: state.stage, customer: state.customer },
    score: state.score,
    band: state.band,
    history: {
      counts: state.counts,
      eventCount: state.eventCount,
      firstSeenAt: state.firstSeenAt,
      lastActivityAt: state.lastActivityAt,
      lastDealAt: state.lastDealAt,
      daysInactive: daysBetween(state.lastActivityAt ?? state.firstSeenAt, now),
      daysSinceLastDeal: daysBetween(state.lastDealAt, now),
      daysInStage: daysBetween(state.stageEnteredAt, now),
      webinarQuestions: state.webinars.filter((w) => w.question).length,
    },
    thresholds,
    timing,
  };
}

function setScore(ruleSet: CompiledRuleSet, state: LeadState, fit: number, engagement: number): void {
  state.score = { total: round2(fit + engagement), fit: round2(fit), engagement: round2(engagement) };
  state.band = bandOf(ruleSet, state.score.total);
}

function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

/**
 * Applies an event to a state the caller owns, in place; returns the
 * explanation. {@link evaluate} is the pure wrapper.
 */
export function applyEvent(ruleSet: CompiledRuleSet, existing: LeadState | null, event: LeadEvent): EvaluationResult {
  if (!isKnownEventType(ruleSet, event.type)) {
    throw new EvaluationError('type', `unknown event type "${event.type}" in rule set ${ruleSet.version}`);
  }
  const eventTime = timeOf(event);
  const state = existing ?? newLead(ruleSet, event, iso(eventTime));
  if (existing && existing.leadId !== event.leadId) {
    throw new EvaluationError('leadId', `event is for lead "${event.leadId}", state is lead "${existing.leadId}"`);
  }
  // A late event never moves time backwards; callers that care replay history in order.
  const now = Math.max(eventTime, Date.parse(state.asOf));
  const at = iso(now);
  const notes: string[] = [];
  const scoreBefore: Score = { ...state.score };
  const bandBefore = existing ? state.band : null;
  const stageChanges: Explanation['stageChanges'] = [];

  // Decay counts whole days since the last activity, from the engagement settled then: a lead
  // active every day does not fade, and system events (feedback, ticks) never reset the clock.
  const inactiveDays = state.lastActivityAt === null ? 0 : Math.floor((now - Date.parse(state.lastActivityAt)) / MS_PER_DAY);
  const engagementBefore = state.score.engagement;
  let engagement = decayEngagement(state.engagementAtLastActivity, inactiveDays, ruleSet.definition.decay.halfLifeDays);
  const decay =
    engagement !== engagementBefore
      ? { days: inactiveDays, before: engagementBefore, after: engagement, removed: round2(engagementBefore - engagement) }
      : null;

  let fitChanged = !existing || state.ruleSetVersion !== ruleSet.version;
  if (event.type === 'lead_updated') {
    mergeAttributes(state.attributes, event.properties);
    const derived = customerFromAttributes(state.attributes);
    state.customer = state.customer || derived.customer;
    if (derived.lastDealAt && (!state.lastDealAt || derived.lastDealAt > state.lastDealAt)) state.lastDealAt = derived.lastDealAt;
    fitChanged = true;
  }
  state.ruleSetVersion = ruleSet.version;

  const rules: RulePoints[] = [];
  let fit = state.score.fit;
  const data = conditionData(ruleSet, state, event, now);
  if (fitChanged) {
    const fitRules = fitPoints(ruleSet, data);
    fit = fitRules.reduce((sum, r) => sum + r.points, 0);
    rules.push(...fitRules);
  }
  setScore(ruleSet, state, fit, engagement);

  const moveStage = (trigger: string) => {
    data.score = state.score;
    data.band = state.band;
    data.lead.stage = state.stage;
    const step = ruleSet.lifecycle.step(state.stage, { type: trigger, data });
    if (!step) return;
    const reason = typeof event.properties['reason'] === 'string' ? event.properties['reason'] : undefined;
    const change = { from: state.stage, to: step.to, at, transitionId: step.transition.id, eventId: event.id };
    state.stageHistory.push(reason && trigger !== TRIGGER_TIME ? { ...change, reason } : change);
    stageChanges.push({ from: state.stage, to: step.to, transitionId: step.transition.id, label: step.transition.label, trigger });
    state.stage = step.to;
    state.stageEnteredAt = at;
    data.history.daysInStage = 0;
  };

  // Time passes first: a lead silent for months is dormant before its next click reactivates it.
  moveStage(TRIGGER_TIME);

  if (ruleSet.activityTypes.has(event.type)) {
    state.counts[event.type] = (state.counts[event.type] ?? 0) + 1;
    let earned = 0;
    for (const compiled of ruleSet.engagementRules.get(event.type) ?? []) {
      const tally = state.rules[compiled.rule.id];
      const points = applyEngagementRule(compiled, tally, data);
      if (!points) continue;
      rules.push(points);
      earned += points.points;
      state.rules[compiled.rule.id] = { times: (tally?.times ?? 0) + 1, points: (tally?.points ?? 0) + points.points };
    }
    engagement = round2(engagement + earned);
    setScore(ruleSet, state, fit, engagement);
    state.engagementAtLastActivity = engagement;
    state.lastActivityAt = at;
    data.history.lastActivityAt = at;
    data.history.daysInactive = 0;
    const limit = ruleSet.definition.handOff.recentActivityCount;
    pushBounded(state.recentActivity, { eventId: event.id, type: event.type, at, points: round2(earned) }, limit);
    if (ruleSet.webinarTypes.has(event.type)) {
      const { title, question } = event.properties;
      const webinar = {
        eventId: event.id,
        at,
        ...(typeof title === 'string' && { title }),
        ...(typeof question === 'string' && question && { question }),
      };
      pushBounded(state.webinars, webinar, limit);
      if (webinar.question) data.history.webinarQuestions += 1;
    }
    if (!ruleSet.engagementRules.has(event.type)) notes.push(`no scoring rule applies to "${event.type}"`);
  } else {
    applyOutcome(state, event, at);
    data.lead.customer = state.customer;
    data.history.lastDealAt = state.lastDealAt;
    data.history.daysSinceLastDeal = daysBetween(state.lastDealAt, now);
  }

  if (event.type !== 'tick') moveStage(event.type);
  data.lead.stage = state.stage;
  state.route = routeFor(ruleSet, data);
  state.asOf = at;
  state.eventCount += 1;

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
  return applyEvent(ruleSet, lead ? cloneState(lead) : null, event);
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
