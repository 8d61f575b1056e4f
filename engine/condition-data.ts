/**
 * The data every condition, guard and routing rule reads while an event is
 * applied (documented in the README): the event, the lead, its score and band,
 * its history and the rule set's thresholds and timing, with day counts
 * computed from the event's time.
 */
import type { CompiledRuleSet } from './ruleset';
import type { RuleSetDefinition } from './schema';
import { MS_PER_DAY } from './scoring';
import { parseTime } from './time';
import type { LeadEvent, LeadState } from './types';

function daysBetween(from: string | null, to: number): number | null {
  return from === null ? null : (to - parseTime(from)) / MS_PER_DAY;
}

/** The data every condition, guard and routing rule reads (documented in the README). */
export interface ConditionData {
  now: string;
  event: { id: string; type: string; occurredAt: string; properties: Record<string, unknown> };
  lead: { id: string; attributes: Record<string, unknown>; stage: string; customer: boolean };
  score: LeadState['score'];
  band: LeadState['band'];
  history: {
    counts: Record<string, number>;
    eventCount: number;
    firstSeenAt: string;
    lastActivityAt: string | null;
    lastDealAt: string | null;
    daysInactive: number | null;
    daysSinceLastDeal: number | null;
    daysInStage: number | null;
    webinarQuestions: number;
  };
  thresholds: RuleSetDefinition['lifecycle']['thresholds'];
  timing: RuleSetDefinition['lifecycle']['timing'];
  /** What `history.daysInStage` was computed from; not meant for rules. */
  stageEnteredAt?: string;
}

/**
 * One condition-data object per rule set, reset for each event. Evaluation is
 * synchronous and conditions never keep the data, so reusing it is safe, and it
 * spares several allocations per event.
 */
const scratch = new WeakMap<CompiledRuleSet, ConditionData>();

export function conditionData(ruleSet: CompiledRuleSet, state: LeadState, event: LeadEvent, now: number, at: string): ConditionData {
  let data = scratch.get(ruleSet);
  if (!data) {
    const { thresholds, timing } = ruleSet.definition.lifecycle;
    data = {
      now: at,
      event: { id: '', type: '', occurredAt: '', properties: {} },
      lead: { id: '', attributes: {}, stage: '', customer: false },
      score: state.score,
      band: state.band,
      history: {
        counts: {},
        eventCount: 0,
        firstSeenAt: '',
        lastActivityAt: null,
        lastDealAt: null,
        daysInactive: null,
        daysSinceLastDeal: null,
        daysInStage: null,
        webinarQuestions: 0,
      },
      thresholds,
      timing,
    };
    scratch.set(ruleSet, data);
  }
  data.now = at;
  const e = data.event;
  e.id = event.id;
  e.type = event.type;
  e.occurredAt = event.occurredAt;
  e.properties = event.properties;
  data.lead.id = state.leadId;
  const history = data.history;
  history.counts = state.counts;
  history.eventCount = state.eventCount;
  history.firstSeenAt = state.firstSeenAt;
  // Force the day counts to be recomputed for this lead and time.
  history.daysInactive = null;
  history.lastDealAt = null;
  history.daysSinceLastDeal = null;
  data.stageEnteredAt = undefined;
  refresh(data, state, now);
  return data;
}

/**
 * Brings the data up to date with the state, which changes while an event is
 * applied. Day counts cost a date parse, so each is recomputed only when the
 * time it counts from has changed.
 */
export function refresh(data: ConditionData, state: LeadState, now: number): void {
  data.lead.attributes = state.attributes;
  data.lead.stage = state.stage;
  data.lead.customer = state.customer;
  data.score = state.score;
  data.band = state.band;
  const history = data.history;
  history.counts = state.counts;
  const since = state.lastActivityAt ?? state.firstSeenAt;
  if (history.lastActivityAt !== state.lastActivityAt || history.daysInactive === null) {
    history.lastActivityAt = state.lastActivityAt;
    history.daysInactive = daysBetween(since, now);
  }
  if (history.lastDealAt !== state.lastDealAt) {
    history.lastDealAt = state.lastDealAt;
    history.daysSinceLastDeal = daysBetween(state.lastDealAt, now);
  }
  if (data.stageEnteredAt !== state.stageEnteredAt) {
    data.stageEnteredAt = state.stageEnteredAt;
    history.daysInStage = daysBetween(state.stageEnteredAt, now);
  }
  let questions = 0;
  for (const webinar of state.webinars) if (webinar.question) questions += 1;
  history.webinarQuestions = questions;
}
