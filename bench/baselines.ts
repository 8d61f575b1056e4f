/**
 * What the engine is measured against:
 * - the same rule set and the same evaluation algorithm with another
 *   JSON-Logic evaluator in place of the engine's compiler (json-logic-js
 *   interpreting the raw rules on every call, json-logic-engine compiled or
 *   interpreted), so the evaluator is the only difference;
 * - a hand-written function computing v1's score and band with no rules at all.
 */
import jsonLogic, { type RulesLogic } from 'json-logic-js';
import { LogicEngine } from 'json-logic-engine';
import type { CompiledRuleSet, LeadEvent } from '../engine/index';
import type { CompiledLogic } from '../engine/logic';
import { buildLifecycle } from '../engine/lifecycle';
import type { CompiledRoutingRule, CompiledScoringRule, CompiledTransition } from '../engine/ruleset';

/** Turns one raw JSON-Logic rule into a function of the condition data. */
export type LogicEvaluator = (rule: unknown) => CompiledLogic;

/** json-logic-js 2.0.5, the reference: walks the raw rule on every call. */
export const interpretWithJsonLogicJs: LogicEvaluator = (rule) => (data) => jsonLogic.apply(rule as RulesLogic, data);

/** json-logic-engine's compiled mode: one `build` per rule, then plain calls. */
export function compileWithJsonLogicEngine(): LogicEvaluator {
  const engine = new LogicEngine();
  return (rule) => engine.build(rule) as CompiledLogic;
}

/** json-logic-engine's interpreter (`run`), which caches an execution plan per rule object. */
export function interpretWithJsonLogicEngine(): LogicEvaluator {
  const engine = new LogicEngine();
  return (rule) => (data) => engine.run(rule, data);
}

/**
 * A loaded rule set with every condition, guard and routing rule evaluated by
 * `evaluator` instead of the engine's compiler. Everything else is the loaded
 * rule set's own (same entries in the same order, the lifecycle machine built
 * by the engine's `buildLifecycle`), so `evaluate` runs the same algorithm.
 */
export function withLogicEvaluator(ruleSet: CompiledRuleSet, evaluator: LogicEvaluator): CompiledRuleSet {
  const compile = (rule: unknown): CompiledLogic | null => (rule === undefined ? null : evaluator(rule));
  // A rule listed under several event types stays one entry, as in the loaded rule set.
  const swapped = new Map<CompiledScoringRule, CompiledScoringRule>();
  const swap = (entry: CompiledScoringRule): CompiledScoringRule => {
    const done = swapped.get(entry) ?? { ...entry, when: compile(entry.rule.when) };
    swapped.set(entry, done);
    return done;
  };
  const transitions: CompiledTransition[] = ruleSet.definition.lifecycle.transitions.map((transition) => ({
    transition,
    when: compile(transition.when),
  }));
  return Object.freeze({
    ...ruleSet,
    engagementRules: new Map([...ruleSet.engagementRules].map(([type, entries]) => [type, entries.map(swap)])),
    fitRules: ruleSet.fitRules.map(swap),
    lifecycle: buildLifecycle(transitions, ruleSet.activityTypes),
    routing: ruleSet.routing.map((entry): CompiledRoutingRule => ({ ...entry, when: compile(entry.rule.when) })),
  });
}

/** The score and band the hand-written baseline keeps per lead. */
export interface HandScore {
  total: number;
  fit: number;
  engagement: number;
  band: 'hot' | 'warm' | 'cold';
  /** Time of the latest event, epoch ms. */
  asOf: number;
  /** Time of the latest activity, epoch ms; decay counts whole days from it. */
  lastActivityAt: number | null;
  engagementAtLastActivity: number;
  siteVisits: number;
  repeatedVisitAwards: number;
  role: unknown;
  companySize: unknown;
}

/** rules/v1.json, written out by hand. */
const V1 = {
  points: {
    email_open: 5,
    email_click: 10,
    document_download: 15,
    webinar_attended: 20,
    contact_request: 30,
    demo_request: 30,
    email_unsubscribe: -20,
  } as Record<string, number | undefined>,
  activityTypes: new Set([
    'email_open',
    'email_click',
    'email_unsubscribe',
    'document_download',
    'webinar_attended',
    'site_visit',
    'contact_request',
    'demo_request',
    'chat_conversation',
    'phone_call',
  ]),
  repeatedVisit: { fromVisit: 2, points: 25, maxTimes: 3 },
  decisionRoles: ['executive', 'director', 'manager'] as unknown[],
  decisionRolePoints: 10,
  midSize: { employees: 100, points: 5 },
  halfLifeDays: 30,
  bands: { hot: 60, warm: 30 },
};

const MS_PER_DAY = 86_400_000;

/** Two decimals at every step, as the engine keeps scores. */
function cents(value: number): number {
  return Math.round(value * 100) / 100 || 0;
}

function bandFor(total: number): HandScore['band'] {
  if (total >= V1.bands.hot) return 'hot';
  if (total >= V1.bands.warm) return 'warm';
  return 'cold';
}

function fitFor(score: HandScore): number {
  let fit = 0;
  if (V1.decisionRoles.includes(score.role)) fit += V1.decisionRolePoints;
  if ((score.companySize as number) >= V1.midSize.employees) fit += V1.midSize.points;
  return fit;
}

/**
 * Applies one event to v1's score and band by hand: decay over whole days
 * since the last activity, fit from role and company size, engagement points
 * with the repeated-visit cap. No lifecycle, routing or explanation.
 */
export function scoreByHand(scores: Map<string, HandScore>, event: LeadEvent): void {
  const time = Date.parse(event.occurredAt);
  let score = scores.get(event.leadId);
  const isNew = !score;
  if (!score) {
    score = {
      total: 0,
      fit: 0,
      engagement: 0,
      band: 'cold',
      asOf: time,
      lastActivityAt: null,
      engagementAtLastActivity: 0,
      siteVisits: 0,
      repeatedVisitAwards: 0,
      role: undefined,
      companySize: undefined,
    };
    scores.set(event.leadId, score);
  }
  const now = Math.max(time, score.asOf);
  score.asOf = now;
  let engagement = score.engagementAtLastActivity;
  if (score.lastActivityAt !== null && engagement !== 0) {
    const inactiveDays = Math.floor((now - score.lastActivityAt) / MS_PER_DAY);
    if (inactiveDays > 0) engagement = cents(engagement * Math.pow(0.5, inactiveDays / V1.halfLifeDays));
  }

  let fit = score.fit;
  if (event.type === 'lead_updated') {
    const { role, companySize } = event.properties;
    if ('role' in event.properties) score.role = role;
    if ('companySize' in event.properties) score.companySize = companySize;
    fit = fitFor(score);
  } else if (isNew) {
    fit = fitFor(score);
  }

  if (V1.activityTypes.has(event.type)) {
    let earned = V1.points[event.type] ?? 0;
    if (event.type === 'site_visit') {
      score.siteVisits += 1;
      if (score.siteVisits >= V1.repeatedVisit.fromVisit) {
        if (score.repeatedVisitAwards < V1.repeatedVisit.maxTimes) earned += V1.repeatedVisit.points;
        score.repeatedVisitAwards += 1;
      }
    }
    engagement = cents(engagement + earned);
    score.engagementAtLastActivity = engagement;
    score.lastActivityAt = now;
  }
  score.fit = cents(fit);
  score.engagement = cents(engagement);
  score.total = cents(fit + engagement);
  score.band = bandFor(score.total);
}
