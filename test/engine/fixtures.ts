/** Small builders for engine tests: rule sets derived from v1, events on a day scale, runs. */
import { evaluate, type CompiledRuleSet, type Explanation, type LeadEvent, type LeadState } from '../../engine/index';
import { compiled, defaultRuleSet, ruleSetWith } from '../helpers/ruleset';

/** A fresh, mutable copy of rules/v1.json, typed loosely for tests that break it on purpose. */
export function v1Json(): Record<string, any> {
  return defaultRuleSet() as Record<string, any>;
}

/** v1 compiled, optionally after a change to its JSON. */
export function ruleSet(change?: (json: Record<string, any>) => void): CompiledRuleSet {
  return compiled(ruleSetWith((json) => change?.(json as Record<string, any>)));
}

const BASE = Date.parse('2026-01-01T00:00:00.000Z');

/** ISO time `days` (may be fractional) after 2026-01-01. */
export function day(days: number): string {
  return new Date(BASE + days * 86_400_000).toISOString();
}

let sequence = 0;

/** An event for lead `leadId` on day `at` (days after 2026-01-01). */
export function ev(type: string, at = 0, properties: Record<string, unknown> = {}, leadId = 'lead-1'): LeadEvent {
  sequence += 1;
  return { id: `e${String(sequence).padStart(6, '0')}`, leadId, type, occurredAt: day(at), properties };
}

/** Events of one type on day 0, a minute apart. */
export function events(...types: string[]): LeadEvent[] {
  return types.map((type, i) => ev(type, i / 1440));
}

export interface Run {
  state: LeadState;
  explanations: Explanation[];
  stages: string[];
  transitions: string[];
}

/** Evaluates events one by one from a new lead (or `from`). */
export function run(rules: CompiledRuleSet, list: LeadEvent[], from: LeadState | null = null): Run {
  let state = from;
  const explanations: Explanation[] = [];
  for (const event of list) {
    const result = evaluate(rules, state, event);
    state = result.state;
    explanations.push(result.explanation);
  }
  if (!state) throw new Error('run() needs at least one event');
  return {
    state,
    explanations,
    stages: state.stageHistory.map((c) => c.to),
    transitions: explanations.flatMap((e) => e.stageChanges.map((c) => c.transitionId)),
  };
}
