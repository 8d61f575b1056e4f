/**
 * The kinds of change a webhook subscription receives, and the messages one
 * lead write produces: what differs between the lead's state before and after
 * the write (a tick included), so a recomputation after a late event reports
 * only what it really changed.
 */
import { handOffSummary, type HandOffSummary, type LeadState, type Stage } from '../../engine/index';

export const WEBHOOK_KINDS = [
  'lead.handed_off',
  'lead.stage_changed',
  'lead.band_changed',
  'lead.dormant',
  'lead.reactivated',
  'lead.won',
  'lead.lost',
] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

/** Stages in which sales holds a lead; entering one from outside them is a hand-off. */
const SALES_STAGES: ReadonlySet<Stage> = new Set(['mql', 'sal', 'sql']);

/** The body of every message (Standard Webhooks' recommended `type`, `timestamp`, `data`). */
export interface WebhookPayload {
  type: WebhookKind;
  /** When the change happened: the time of the event (or tick) that made it. */
  timestamp: string;
  data: {
    leadId: string;
    stage: Stage;
    previousStage: Stage | null;
    band: LeadState['band'];
    previousBand: LeadState['band'] | null;
    score: LeadState['score'];
    route: LeadState['route'];
    ruleSetVersion: string;
    /** What sales needs (basic info and past deals, recent activity, webinars, interest level, approach): hand-offs and reactivations. */
    handOff?: HandOffSummary;
  };
}

/** The messages a write of one lead produces, in a fixed order. */
export function changeMessages(before: LeadState | null, after: LeadState): WebhookPayload[] {
  const kinds: WebhookKind[] = [];
  const previousStage = before?.stage ?? null;
  const stageChanged = previousStage !== null ? previousStage !== after.stage : after.stage !== 'inquiry';
  if (stageChanged) {
    kinds.push('lead.stage_changed');
    if (SALES_STAGES.has(after.stage) && (previousStage === null || !SALES_STAGES.has(previousStage))) kinds.push('lead.handed_off');
    if (after.stage === 'dormant') kinds.push('lead.dormant');
    if (previousStage === 'dormant' && after.stage !== 'disqualified') kinds.push('lead.reactivated');
    if (after.stage === 'won') kinds.push('lead.won');
    if (after.stage === 'lost') kinds.push('lead.lost');
  }
  if (before !== null && before.band !== after.band) kinds.push('lead.band_changed');
  if (kinds.length === 0) return [];
  const data: WebhookPayload['data'] = {
    leadId: after.leadId,
    stage: after.stage,
    previousStage,
    band: after.band,
    previousBand: before?.band ?? null,
    score: after.score,
    route: after.route,
    ruleSetVersion: after.ruleSetVersion,
  };
  const summary = kinds.includes('lead.handed_off') || kinds.includes('lead.reactivated') ? handOffSummary(after) : undefined;
  return kinds.map((type) => ({
    type,
    timestamp: after.asOf,
    data: summary && (type === 'lead.handed_off' || type === 'lead.reactivated') ? { ...data, handOff: summary } : data,
  }));
}
