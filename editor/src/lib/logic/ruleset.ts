/** Small edits of a draft rule set that forms share: new rules with free ids, caps set from inputs. */
import type { RuleSetDefinition } from '../api';

type ScoringRule = RuleSetDefinition['scoring'][number];
type RoutingRule = RuleSetDefinition['routing']['rules'][number];

/** An id not yet used: `base`, `base-2`, `base-3`… */
export function freeId(base: string, taken: readonly string[]): string {
  if (!taken.includes(base)) return base;
  let n = 2;
  while (taken.includes(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

export function newScoringRule(taken: readonly string[], label: string, eventType: string | undefined): ScoringRule {
  return { id: freeId('rule', taken), label, kind: 'engagement', on: eventType ? [eventType] : [], points: 10 };
}

export function newRoutingRule(taken: readonly string[], label: string): RoutingRule {
  return { id: freeId('route', taken), label, queue: 'sales-development', approach: 'email', when: { '==': [{ var: 'band' }, 'hot'] } };
}

/**
 * Changes a rule's kind with what goes with it: a fit rule scores who the lead is, so it applies to no
 * event type and has no caps; an engagement rule needs an event type, and starts on the first one.
 */
export function setKind(rule: ScoringRule, kind: ScoringRule['kind'], firstEventType: string | undefined): void {
  rule.kind = kind;
  if (kind === 'fit') {
    delete rule.on;
    delete rule.caps;
  } else if (!rule.on || rule.on.length === 0) {
    rule.on = firstEventType ? [firstEventType] : [];
  }
}

/** Sets or clears (empty input) a cap; the caps object goes away with its last cap. */
export function setCap(rule: ScoringRule, cap: 'maxTimes' | 'maxPoints', text: string): void {
  const value = text.trim() === '' ? undefined : Number(text);
  const caps = { ...(rule.caps ?? {}) };
  if (value === undefined || Number.isNaN(value)) delete caps[cap];
  else caps[cap] = value;
  if (Object.keys(caps).length === 0) delete rule.caps;
  else rule.caps = caps;
}

type Transition = RuleSetDefinition['lifecycle']['transitions'][number];

/** A new transition from Inquiry to MQL, without a trigger yet (the user picks one) and without a guard. */
export function newTransition(taken: readonly string[], label: string): Transition {
  return { id: freeId('transition', taken), label, from: ['inquiry'], to: 'mql', on: [] };
}

/** Adds `value` to a list or takes it out, keeping the list's order otherwise. */
export function toggle<T>(list: T[], value: T, present: boolean): void {
  const at = list.indexOf(value);
  if (present && at < 0) list.push(value);
  if (!present && at >= 0) list.splice(at, 1);
}
