/** How stored leads are shown in replies. */
import type { Explanation, LeadState } from '../engine/index';
import type { OutcomeRecord, StoredEventResult } from './store/index';

/** The lead as replies show it: everything but the engine's bookkeeping (rule tallies, histories). */
export function leadView(state: LeadState) {
  return {
    id: state.leadId,
    stage: state.stage,
    band: state.band,
    score: state.score,
    route: state.route,
    ruleSetVersion: state.ruleSetVersion,
    asOf: state.asOf,
    attributes: state.attributes,
    customer: state.customer,
    eventCount: state.eventCount,
    firstSeenAt: state.firstSeenAt,
    lastActivityAt: state.lastActivityAt,
    stageEnteredAt: state.stageEnteredAt,
  };
}

/** One timeline entry: the event, the points it gave by rule, and the stage changes it caused. */
export function timelineEntry(row: StoredEventResult) {
  const explanation = row.explanation ? (JSON.parse(row.explanation) as Explanation) : null;
  return {
    eventId: row.event.id,
    type: row.event.type,
    occurredAt: row.event.occurredAt,
    receivedAt: row.receivedAt,
    properties: row.event.properties,
    points: row.points,
    scoreAfter: row.scoreAfter,
    stageAfter: row.stageAfter,
    rules: explanation?.rules ?? [],
    stageChanges: explanation?.stageChanges ?? [],
    notes: explanation?.notes ?? (explanation ? [] : ['event type unknown to the rule set that evaluated this lead; skipped']),
  };
}

export function outcomeView(outcome: OutcomeRecord) {
  return {
    eventId: outcome.eventId,
    kind: outcome.kind,
    reason: outcome.reason,
    note: outcome.note,
    amount: outcome.amount,
    occurredAt: outcome.occurredAt,
    recordedBy: outcome.recordedBy,
  };
}
