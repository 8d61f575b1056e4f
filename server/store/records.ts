/** What the store reads and writes, in domain terms (JSON columns parsed). */
import type { LeadEvent, LeadState, StageChange } from '../../engine/index';

export interface StoredLead {
  /** Its stage history and recent activity empty (see lead-state.ts): derived on read when shown. */
  state: LeadState;
  /** How many stage changes the lead has had (its rows in stage_changes). */
  stageCount: number;
  /** Unique to the write that stored the row (null for rows from before revisions): see LeadCache. */
  revision: string | null;
  lastEventAt: string;
  lastEventId: string;
  createdAt: string;
  updatedAt: string;
}

/** A stored event with the version that evaluated it. */
export interface StoredEventResult {
  event: LeadEvent;
  receivedAt: string;
  /**
   * The rule-set version that evaluated the event; null when it skipped the
   * event (a type it did not know), and in rows stored before versions were
   * kept, whose explanation names it. What the event did is derived on read
   * (see server/lead-derivation.ts).
   */
  version: string | null;
  /** The explanation as JSON in rows stored before explanations were derived on read; null otherwise. */
  explanation: string | null;
}

export interface StageChangeRecord {
  leadId: string;
  seq: number;
  eventId: string;
  from: string | null;
  to: string;
  at: string;
  transitionId: string | null;
  reason: string | null;
  band: string | null;
}

/** A lead's stage-history entry at position `seq` as a stored row, with the band the causing event left. */
export function stageChangeRecord(leadId: string, seq: number, change: StageChange, band: string | null): StageChangeRecord {
  return {
    leadId,
    seq,
    eventId: change.eventId,
    from: change.from,
    to: change.to,
    at: change.at,
    transitionId: change.transitionId,
    reason: change.reason ?? null,
    band,
  };
}

export const OUTCOME_KINDS = ['accepted', 'rejected', 'qualified', 'won', 'lost', 'disqualified'] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

export interface OutcomeRecord {
  eventId: string;
  leadId: string;
  kind: OutcomeKind;
  reason: string | null;
  note: string | null;
  amount: number | null;
  occurredAt: string;
  recordedBy: string | null;
  recordedAt: string;
}

export type ActivationSlot = 'active' | 'challenger';

export interface ActivationRecord {
  id: number;
  slot: ActivationSlot;
  fromVersion: string | null;
  toVersion: string | null;
  activatedBy: string;
  activatedAt: string;
  /** What the activation was expected to change, from a comparison with the version it replaced; null when unknown. */
  impact: ActivationImpact | null;
}

/**
 * What activating `to` in place of `from` changes, from a comparison of the
 * two on past data (see server/impact.ts).
 */
export interface ActivationImpact {
  comparison: string;
  from: string;
  to: string;
  /** Mean hand-offs per week over the compared period, under each version. */
  handOffsPerWeek: { from: number | null; to: number | null };
  /** Compared leads, and how many of them are judged in another band, handed over by one version only, or end in another stage. */
  leads: number;
  bandChanged: number;
  handOffChanged: number;
  stageChanged: number;
}

/** The teams whose approval a version needs before its first activation. */
export const TEAMS = ['marketing', 'sales'] as const;
export type Team = (typeof TEAMS)[number];

export const REVIEW_DECISIONS = ['approved', 'changes-requested'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** A team's review of a version: its approval, or its request for changes. */
export interface ApprovalRecord {
  team: Team;
  decision: ReviewDecision;
  /** Name of the API key that reviewed. */
  by: string;
  /** Id of that key; null for approvals recorded before keys were kept. */
  keyId: string | null;
  comment: string;
  at: string;
}

export interface ShadowLead {
  state: LeadState;
  lastEventAt: string;
  lastEventId: string;
}

export interface ShadowResult {
  eventId: string;
  version: string;
  leadId: string;
  score: number | null;
  band: string | null;
  stage: string | null;
  explanation: string | null;
}

export const ROLES = ['ingest', 'sales', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  revokedAt: string | null;
  /** After this time the key is refused (401, saying it expired); null: never. */
  expiresAt: string | null;
  /** When the key was last accepted, to the minute (a server records a key's use at most once a minute); null: not yet. */
  lastUsedAt: string | null;
}

/** Orders of a lead list: newest update first, highest score first, or longest since hand-off first. */
export const LEAD_SORTS = ['updated', 'score', 'handoff'] as const;
export type LeadSort = (typeof LEAD_SORTS)[number];

/** Where a page of a sorted list ends: the sort value and id of its last lead. */
export interface LeadKeyset {
  value: string | number;
  id: string;
}

export interface LeadFilter {
  /** Any of these stages. */
  stages?: readonly string[] | undefined;
  band?: string | undefined;
  minScore?: number | undefined;
  maxScore?: number | undefined;
  owner?: string | undefined;
  queue?: string | undefined;
  updatedSince?: string | undefined;
  /** Default "updated". */
  sort?: LeadSort | undefined;
  /** Keyset: leads strictly after this one in the order of `sort`. */
  after?: LeadKeyset | undefined;
  limit: number;
}

export interface LeadSummaryRow {
  id: string;
  stage: string;
  band: string;
  score: number;
  owner: string | null;
  queue: string | null;
  ruleSetVersion: string;
  eventCount: number;
  lastEventAt: string;
  createdAt: string;
  updatedAt: string;
  /** When the lead was last handed to sales (entered a sales stage from outside them); null if never. */
  handedOffAt: string | null;
  /** What the score at a later time is computed from (null for a row written before these were stored). */
  decayBasis: { fit: number; engagementAtLastActivity: number; lastActivityAt: string | null } | null;
}
