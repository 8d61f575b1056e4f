/** Routing (owner, queue, approach) and the hand-off summary sales receives. */
import { truthy } from './logic';
import type { CompiledRuleSet } from './ruleset';
import type { Approach, Band, Stage } from './schema';
import type { ActivityRecord, LeadState, Route, Score, WebinarRecord } from './types';

/** The first routing rule whose condition holds, else the default route. */
export function routeFor(ruleSet: CompiledRuleSet, data: unknown): Route {
  for (const { route, when } of ruleSet.routing) {
    if (!when || truthy(when(data))) return route;
  }
  return ruleSet.defaultRoute;
}

/** The route a routing rule gives; built once per rule set and frozen, so leads share it. */
export function toRoute(rule: { id: string; queue: string; owner?: string | undefined; approach: Approach }): Route {
  const route: Route = { ruleId: rule.id, queue: rule.queue, approach: rule.approach };
  if (rule.owner !== undefined) route.owner = rule.owner;
  return Object.freeze(route);
}

export type InterestLevel = 'high' | 'middle' | 'low';

const INTEREST_BY_BAND: Record<Band, InterestLevel> = { hot: 'high', warm: 'middle', cold: 'low' };

/** What sales receives when a lead is handed over. */
export interface HandOffSummary {
  leadId: string;
  stage: Stage;
  basicInfo: Record<string, unknown>;
  customer: boolean;
  pastDeals: unknown[];
  recentActivity: ActivityRecord[];
  webinars: WebinarRecord[];
  score: Score;
  band: Band;
  interestLevel: InterestLevel;
  recommendedApproach: Approach;
  route: Route;
}

/** Builds the hand-off summary from a lead's state. */
export function handOffSummary(state: LeadState): HandOffSummary {
  const { pastDeals, ...basicInfo } = state.attributes;
  return {
    leadId: state.leadId,
    stage: state.stage,
    basicInfo,
    customer: state.customer,
    pastDeals: Array.isArray(pastDeals) ? pastDeals : [],
    recentActivity: [...state.recentActivity].reverse(),
    webinars: [...state.webinars].reverse(),
    score: state.score,
    band: state.band,
    interestLevel: INTEREST_BY_BAND[state.band],
    recommendedApproach: state.route.approach,
    route: state.route,
  };
}
