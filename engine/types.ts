/** Shapes shared by the engine's public API: events, lead state, explanations. */
import { z } from 'zod';
import type { Approach, Band, Stage } from './schema';

/** An activity or a system event, the same shape everywhere (CLI, API, imports). */
export const leadEventSchema = z.strictObject({
  id: z.string().min(1).max(200),
  leadId: z.string().min(1).max(200),
  type: z.string().min(1).max(64),
  occurredAt: z.iso.datetime({ offset: true }),
  properties: z.record(z.string(), z.unknown()).default({}),
});
export type LeadEvent = z.output<typeof leadEventSchema>;
export type LeadEventInput = z.input<typeof leadEventSchema>;

/** Points one scoring rule has given a lead so far (for caps and explanations). */
export interface RuleTally {
  times: number;
  points: number;
}

export interface StageChange {
  from: Stage | null;
  to: Stage;
  at: string;
  /** Id of the transition that moved the lead; null for the lead's creation. */
  transitionId: string | null;
  eventId: string;
  reason?: string;
}

export interface ActivityRecord {
  eventId: string;
  type: string;
  at: string;
  points: number;
}

export interface WebinarRecord {
  eventId: string;
  at: string;
  title?: string;
  question?: string;
}

export interface Route {
  ruleId: string;
  queue: string;
  owner?: string;
  approach: Approach;
}

export interface Score {
  /** fit + engagement, rounded to 2 decimals. */
  total: number;
  fit: number;
  engagement: number;
}

/** Everything the engine knows about one lead; JSON-serialisable, resumable. */
export interface LeadState {
  leadId: string;
  ruleSetVersion: string;
  attributes: Record<string, unknown>;
  stage: Stage;
  /** Score as of {@link LeadState.asOf}. */
  score: Score;
  /** Engagement right after the last activity; decay is computed from it and {@link LeadState.lastActivityAt}. */
  engagementAtLastActivity: number;
  band: Band;
  route: Route;
  /** Time of the latest event applied. */
  asOf: string;
  firstSeenAt: string;
  lastActivityAt: string | null;
  stageEnteredAt: string;
  /** A past or present customer: a won deal, past deals in attributes, or `customer: true`. */
  customer: boolean;
  lastDealAt: string | null;
  counts: Record<string, number>;
  rules: Record<string, RuleTally>;
  stageHistory: StageChange[];
  recentActivity: ActivityRecord[];
  webinars: WebinarRecord[];
  disqualifiedReason: string | null;
  eventCount: number;
}

export interface RulePoints {
  ruleId: string;
  label: string;
  kind: 'engagement' | 'fit';
  points: number;
  /** Set when a cap reduced or withheld the rule's points. */
  capped?: { maxTimes?: number; maxPoints?: number; wouldHaveGiven: number };
}

export interface Explanation {
  eventId: string;
  eventType: string;
  at: string;
  ruleSetVersion: string;
  /** Engagement lost to decay since the previous event; `days`: whole days since the last activity. */
  decay: { days: number; before: number; after: number; removed: number } | null;
  rules: RulePoints[];
  score: { before: Score; after: Score };
  band: { before: Band | null; after: Band };
  stageChanges: Array<{ from: Stage; to: Stage; transitionId: string; label: string; trigger: string }>;
  route: Route;
  /** Why an event did nothing, when it did nothing (e.g. an event type no rule knows). */
  notes: string[];
}

export interface EvaluationResult {
  state: LeadState;
  explanation: Explanation;
}
