/**
 * Table shapes as Kysely sees them. Every column type is one both SQLite and
 * PostgreSQL store the same way: times are ISO 8601 UTC text (so text order is
 * time order), JSON is text, numbers are integer or double precision.
 */
export interface LeadsTable {
  id: string;
  stage: string;
  band: string;
  score: number;
  owner: string | null;
  queue: string | null;
  rule_set_version: string;
  /** Ordering key of the newest event applied: late events are those before it. */
  last_event_at: string;
  last_event_id: string;
  event_count: number;
  created_at: string;
  updated_at: string;
  /** The engine's LeadState without its stage history and recent activity, as JSON (see store/lead-state.ts). */
  state: string;
  /** Unique to the write that stored this state (null before any such write): see LeadCache. */
  revision: string | null;
  /** When time alone next changes the lead ({@link NEVER_DUE}: never without another event; null: not computed yet). */
  due_at: string | null;
  /** The rule-set version `due_at` was computed under (null before 0012): another version than the active one means not known. */
  due_version: string | null;
  /** Fit, engagement right after the last activity, and that activity's time: the score as of any later time (null before 0007). */
  fit: number | null;
  engagement_base: number | null;
  last_activity_at: string | null;
}

/** due_at of a lead that time alone never changes: after every real time, so `due_at <= now` never holds. */
export const NEVER_DUE = '9999-12-31T23:59:59.999Z';

export interface EventsTable {
  id: string;
  lead_id: string;
  type: string;
  occurred_at: string;
  properties: string;
  received_at: string;
  /** Points the event gave, score and stage after it: in rows stored before 0015 only (null otherwise: derived on read). */
  points: number | null;
  score_after: number | null;
  stage_after: string | null;
  /** The rule-set version that evaluated the event; null when it skipped the event, and in rows stored before 0015 (whose explanation names it). */
  rule_set_version: string | null;
  /**
   * The engine's Explanation, as JSON, in rows stored before 0015 only (and
   * not rewritten since); null otherwise: explanations are derived on read
   * (server/lead-derivation.ts).
   */
  explanation: string | null;
}

export interface StageChangesTable {
  lead_id: string;
  /** Position in the lead's stage history (0: creation). */
  seq: number;
  event_id: string;
  from_stage: string | null;
  to_stage: string;
  at: string;
  transition_id: string | null;
  reason: string | null;
  band: string | null;
}

export interface OutcomesTable {
  event_id: string;
  lead_id: string;
  kind: string;
  reason: string | null;
  note: string | null;
  amount: number | null;
  occurred_at: string;
  recorded_by: string | null;
  recorded_at: string;
}

export interface ActivationsTable {
  id: number;
  /** "active" or "challenger". */
  slot: string;
  from_version: string | null;
  /** Null when a challenger is cleared. */
  to_version: string | null;
  activated_by: string;
  activated_at: string;
  /** What the activation was expected to change, as JSON (ActivationImpact); null when unknown. */
  impact: string | null;
}

export interface ShadowLeadsTable {
  lead_id: string;
  version: string;
  last_event_at: string;
  last_event_id: string;
  state: string;
}

export interface ShadowResultsTable {
  event_id: string;
  version: string;
  lead_id: string;
  score: number | null;
  band: string | null;
  stage: string | null;
  explanation: string | null;
}

export interface ApprovalsTable {
  version: string;
  /** "marketing" or "sales". */
  team: string;
  /** Name of the API key that approved. */
  approved_by: string;
  approved_at: string;
  /** Id of that key; null for approvals recorded before keys were kept. */
  key_id: string | null;
  /** "approved" or "changes-requested"; null (an approval) for those recorded before. */
  decision: string | null;
  comment: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  role: string;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
  /** ISO time after which the key is refused; null: never. */
  expires_at: string | null;
  /** ISO time the key was last accepted, to the minute (see KeyRing.noteUse); null: not since this was recorded. */
  last_used_at: string | null;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface WebhookSubscriptionsTable {
  id: string;
  url: string;
  /** The kinds of change subscribed to, as a JSON array. */
  events: string;
  filter_queue: string | null;
  filter_owner: string | null;
  /** The stages a change must leave the lead in, as a JSON array; null: any. */
  filter_stages: string | null;
  secret: string;
  created_at: string;
  deleted_at: string | null;
  /** Set when deliveries keep failing (see WEBHOOK_FAILING_AFTER); cleared by the next success. */
  failing_since: string | null;
  consecutive_failures: number;
}

export interface WebhookMessagesTable {
  id: string;
  lead_id: string;
  /** Order of the lead's messages. */
  lead_seq: number;
  kind: string;
  /** The lead's route when the message was made, for subscription filters. */
  queue: string | null;
  owner: string | null;
  /** The lead's stage after the change (null for messages made before it was recorded). */
  stage: string | null;
  /** The message body, as sent (JSON). */
  payload: string;
  created_at: string;
  /** Null until fanned out to the subscriptions. */
  dispatched_at: string | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  message_id: string;
  subscription_id: string;
  lead_id: string;
  lead_seq: number;
  /** pending, delivered or failed (gave up). */
  status: string;
  attempts: number;
  next_attempt_at: string;
  /** A server sending it holds it until then. */
  lease_until: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  subscription_id: string;
  at: string;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
}

/** Comparisons of rule-set versions, for every server sharing the database (store/comparisons.ts). */
export interface ComparisonsTable {
  id: string;
  /** The comparison's state, JSON. */
  state: string;
  /** The report, JSON, once done (or failed: the text null). */
  report: string | null;
  updated_at: string;
}

export interface Database {
  leads: LeadsTable;
  events: EventsTable;
  stage_changes: StageChangesTable;
  outcomes: OutcomesTable;
  activations: ActivationsTable;
  shadow_leads: ShadowLeadsTable;
  shadow_results: ShadowResultsTable;
  approvals: ApprovalsTable;
  api_keys: ApiKeysTable;
  meta: MetaTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_messages: WebhookMessagesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  comparisons: ComparisonsTable;
}
