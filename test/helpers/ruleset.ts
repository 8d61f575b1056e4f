/**
 * Fixtures for rule-set tests: the default rule set read fresh from disk, a way
 * to change one part of it, and events built through the public event schema.
 */
import { readFileSync } from 'node:fs';
import {
  leadEventSchema,
  loadRuleSet,
  type CompiledRuleSet,
  type LeadEvent,
  type LeadEventInput,
  type RuleSetInput,
} from '../../engine/index';

const DEFAULT_RULE_SET = new URL('../../rules/v1.json', import.meta.url);

/** A fresh copy of rules/v1.json, safe to modify. */
export function defaultRuleSet(): RuleSetInput {
  return JSON.parse(readFileSync(DEFAULT_RULE_SET, 'utf8')) as RuleSetInput;
}

/** The default rule set with one change applied. */
export function ruleSetWith(change: (rules: RuleSetInput) => void): RuleSetInput {
  const rules = defaultRuleSet();
  change(rules);
  return rules;
}

/** Loads a rule set that is expected to be valid; fails with its problems otherwise. */
export function compiled(rules: RuleSetInput): CompiledRuleSet {
  const result = loadRuleSet(rules);
  if (!result.ok) throw new Error(`rule set should load: ${JSON.stringify(result.problems)}`);
  return result.ruleSet;
}

let nextEventId = 0;

/** An event for lead `lead-1`, validated by the public event schema. */
export function leadEvent(type: string, occurredAt: string, properties: Record<string, unknown> = {}, leadId = 'lead-1'): LeadEvent {
  nextEventId += 1;
  const input: LeadEventInput = { id: `event-${nextEventId}`, leadId, type, occurredAt, properties };
  return leadEventSchema.parse(input);
}

/** An event parsed from JSON text, as a server receives it, then validated. */
export function leadEventFromJson(text: string): LeadEvent {
  return leadEventSchema.parse(JSON.parse(text));
}
