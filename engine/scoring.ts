/** Scoring: engagement points with caps, decay over inactivity, fit from attributes, bands. */
import { truthy } from './logic';
import type { CompiledRuleSet, CompiledScoringRule } from './ruleset';
import type { Band } from './schema';
import type { RulePoints, RuleTally } from './types';

export const MS_PER_DAY = 86_400_000;

/** Scores are kept to 2 decimals at every step, so what people read is what thresholds compare. */
export function round2(value: number): number {
  const rounded = Math.round(value * 100) / 100;
  return rounded === 0 ? 0 : rounded; // no -0 in output
}

/**
 * Engagement after `days` without activity: exponential decay with the rule
 * set's half-life. Exponential decay is memoryless, so decaying the running
 * total at each event equals decaying every award from its own time.
 */
export function decayEngagement(engagement: number, days: number, halfLifeDays: number | null): number {
  if (halfLifeDays === null || days <= 0 || engagement === 0) return engagement;
  return round2(engagement * Math.pow(0.5, days / halfLifeDays));
}

/**
 * Points one engagement rule gives now, after its caps. Returns null when the
 * rule's condition does not hold.
 */
export function applyEngagementRule(compiled: CompiledScoringRule, tally: RuleTally | undefined, data: unknown): RulePoints | null {
  const { rule, when } = compiled;
  if (when && !truthy(when(data))) return null;
  const result: RulePoints = { ruleId: rule.id, label: rule.label, kind: 'engagement', points: rule.points };
  const caps = rule.caps;
  if (!caps) return result;
  const times = tally?.times ?? 0;
  const given = tally?.points ?? 0;
  if (caps.maxTimes !== undefined && times >= caps.maxTimes) {
    result.points = 0;
  } else if (caps.maxPoints !== undefined && rule.points > 0) {
    result.points = Math.max(0, Math.min(rule.points, caps.maxPoints - given));
  }
  if (result.points !== rule.points) {
    result.capped = { ...caps, wouldHaveGiven: rule.points };
  }
  return result;
}

/** Fit score: the sum of fit rules whose condition holds for the lead now. */
export function fitPoints(ruleSet: CompiledRuleSet, data: unknown): RulePoints[] {
  const points: RulePoints[] = [];
  for (const { rule, when } of ruleSet.fitRules) {
    if (!when || truthy(when(data))) points.push({ ruleId: rule.id, label: rule.label, kind: 'fit', points: rule.points });
  }
  return points;
}

/** Hot, warm or cold from the total score. */
export function bandOf(ruleSet: CompiledRuleSet, total: number): Band {
  const { hot, warm } = ruleSet.definition.bands;
  if (total >= hot) return 'hot';
  if (total >= warm) return 'warm';
  return 'cold';
}
