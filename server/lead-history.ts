/**
 * A lead's history as the server folds it: events in time order (ties broken
 * by id), applied one by one with the engine. Incremental evaluation and
 * recomputation from stored events use the same order, so a late event gives
 * the state in-order arrival would have given.
 */
import {
  byCodeUnit,
  applyEvent,
  cloneState,
  isKnownEventType,
  type CompiledRuleSet,
  type Explanation,
  type LeadEvent,
  type LeadState,
} from '../engine/index';

/** The position of an event in a lead's history. */
export interface HistoryKey {
  occurredAt: string;
  id: string;
}

/**
 * Orders events by time, then id. Times are stored normalised to UTC ISO 8601
 * (see {@link normaliseTime}), so comparing the text compares the instants.
 */
export function compareHistory(a: HistoryKey, b: HistoryKey): number {
  return byCodeUnit(a.occurredAt, b.occurredAt) || byCodeUnit(a.id, b.id);
}

/** `2026-03-01T10:00:00+02:00` → `2026-03-01T08:00:00.000Z`: one spelling per instant, in milliseconds. */
export function normaliseTime(iso: string): string {
  return new Date(Date.parse(iso)).toISOString();
}

export interface AppliedEvent {
  event: LeadEvent;
  /** Null when the rule set does not know the event's type (possible only for events stored under an earlier version). */
  explanation: Explanation | null;
  /** The lead's stage after the event (null while the lead has no state). */
  stage: string | null;
}

export interface FoldResult {
  state: LeadState | null;
  applied: AppliedEvent[];
}

/** Applies events, already in history order, to a state (null: a new lead). The given state is not changed. */
export function applyInOrder(ruleSet: CompiledRuleSet, state: LeadState | null, events: readonly LeadEvent[]): FoldResult {
  // One copy up front, then the events are applied in place: the fold owns its state.
  let current = state ? cloneState(state) : null;
  const applied: AppliedEvent[] = [];
  for (const event of events) {
    if (!isKnownEventType(ruleSet, event.type)) {
      applied.push({ event, explanation: null, stage: current?.stage ?? null });
      continue;
    }
    const result = applyEvent(ruleSet, current, event);
    current = result.state;
    applied.push({ event, explanation: result.explanation, stage: current.stage });
  }
  return { state: current, applied };
}

/** Recomputes a lead from its whole history, in any order given. */
export function recompute(ruleSet: CompiledRuleSet, events: readonly LeadEvent[]): FoldResult {
  return applyInOrder(ruleSet, null, [...events].sort(compareHistory));
}

/** Points an event gave: the sum over the rules that fired. */
export function pointsOf(explanation: Explanation | null): number | null {
  if (!explanation) return null;
  return Math.round(explanation.rules.reduce((sum, rule) => sum + rule.points, 0) * 100) / 100;
}
