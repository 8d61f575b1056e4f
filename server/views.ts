/** How stored leads are shown in replies. */
import type { LeadState } from '../engine/index';
import type { DerivedEvent } from './lead-derivation';
import { pointsOf } from './lead-history';
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

/**
 * One timeline entry: the event, the score before and after it, what made the difference (the points it
 * gave by rule, the engagement decay lost since the last activity, fit recomputed), and the stage changes it caused.
 */
export function timelineEntry(row: StoredEventResult, { explanation, stage }: DerivedEvent) {
  return {
    eventId: row.event.id,
    type: row.event.type,
    occurredAt: row.event.occurredAt,
    receivedAt: row.receivedAt,
    properties: row.event.properties,
    points: pointsOf(explanation),
    scoreBefore: explanation?.score.before.total ?? null,
    scoreAfter: explanation?.score.after.total ?? null,
    stageAfter: stage,
    rules: explanation?.rules ?? [],
    fit: explanation ? { before: explanation.score.before.fit, after: explanation.score.after.fit } : null,
    decay: explanation?.decay ? { days: explanation.decay.days, removed: explanation.decay.removed } : null,
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
