/**
 * A lead's state as stored: what its next evaluation needs, beside the
 * columns the list filters read. Left out of the stored JSON:
 * - the stage history (its rows are in `stage_changes`) and the recent
 *   activity (derived on read from the lead's events, see
 *   server/lead-derivation.ts), which only grow with history. The engine only
 *   appends to both, so a state read back with them empty evaluates the next
 *   event exactly as the full state would; the number of stage changes stays,
 *   as the position the next one takes;
 * - what the row's columns hold already (id, stage, band, version, event
 *   count, engagement and time of the last activity), taken from them on read.
 */
import type { LeadState } from '../../engine/index';
import type { LeadsTable } from './schema';

/** The columns a stored state is read back with. */
export type StateColumns = Pick<
  LeadsTable,
  'id' | 'state' | 'stage' | 'band' | 'rule_set_version' | 'event_count' | 'engagement_base' | 'last_activity_at'
>;

/** The columns {@link decodeState} reads, for a select. */
export const STATE_COLUMNS = [
  'id',
  'state',
  'stage',
  'band',
  'rule_set_version',
  'event_count',
  'engagement_base',
  'last_activity_at',
] as const satisfies ReadonlyArray<keyof StateColumns>;

/** A stored state as read back: the state, its stage history and recent activity empty, and how many stage changes the lead has had. */
export interface TrimmedState {
  state: LeadState;
  stageCount: number;
}

/** What the `state` column holds of a state: the rest is in the row's columns or derived on read (see the top of this file). */
type StoredFields = Omit<
  LeadState,
  | 'stageHistory'
  | 'recentActivity'
  | 'leadId'
  | 'stage'
  | 'band'
  | 'ruleSetVersion'
  | 'eventCount'
  | 'engagementAtLastActivity'
  | 'lastActivityAt'
>;

/** The state to store in the `state` column, beside the columns written from the same state (see ingest-statements.ts). */
export function encodeState(state: LeadState, stageCount: number): string {
  // Named field by field: a rest pattern copies slower (the whole encoding took a third longer with one). The type
  // makes a field added to LeadState fail to compile here until it is either stored or left out above.
  const stored: StoredFields & { stageCount: number } = {
    attributes: state.attributes,
    score: state.score,
    route: state.route,
    asOf: state.asOf,
    firstSeenAt: state.firstSeenAt,
    stageEnteredAt: state.stageEnteredAt,
    customer: state.customer,
    lastDealAt: state.lastDealAt,
    counts: state.counts,
    rules: state.rules,
    webinars: state.webinars,
    disqualifiedReason: state.disqualifiedReason,
    stageCount,
  };
  return JSON.stringify(stored);
}

/**
 * A stored state read back with its row's columns. A row written before
 * states were trimmed holds every field in its JSON (its histories are dropped
 * here), and may lack the later columns.
 */
export function decodeState(row: StateColumns): TrimmedState {
  const parsed = JSON.parse(row.state) as Partial<LeadState> & { stageCount?: number };
  const stageCount = parsed.stageCount ?? parsed.stageHistory?.length ?? 0;
  delete parsed.stageCount;
  const state = {
    leadId: row.id,
    ruleSetVersion: row.rule_set_version,
    stage: row.stage,
    band: row.band,
    eventCount: row.event_count,
    engagementAtLastActivity: row.engagement_base,
    lastActivityAt: row.last_activity_at,
    ...parsed,
    stageHistory: [],
    recentActivity: [],
  } as LeadState;
  return { state, stageCount };
}

/** A state as the next evaluation starts from it: the same, with empty histories (not a copy when they are empty already). */
export function trimState(state: LeadState): LeadState {
  if (state.stageHistory.length === 0 && state.recentActivity.length === 0) return state;
  return { ...state, stageHistory: [], recentActivity: [] };
}
