/**
 * The statements of the ingestion path, compiled once per store (see
 * {@link RowsStatement} and {@link IdListQuery}): which event ids and leads
 * exist, the leads' rows, and every row a request writes. Each table's column
 * list and the function that lays out one row's values sit side by side, in
 * the same order.
 */
import type { Kysely } from 'kysely';
import type { EventWrite, LeadWrite } from './queries';
import type { OutcomeRecord, ShadowLead, ShadowResult, StageChangeRecord } from './records';
import { NEVER_DUE, type Database } from './schema';
import { IdListQuery, RowsStatement } from './statements';
import { STATE_COLUMNS } from './lead-state';

/** `n` rows whose every column is a placeholder, for compiling a multi-row insert. */
function placeholderRows(columns: readonly string[], n: number): never[] {
  const row = Object.fromEntries(columns.map((column) => [column, null]));
  return Array.from({ length: n }, () => row) as never[];
}

/** `n` placeholder ids for an `IN (…)` list. */
const placeholderIds = (n: number): string[] => Array<string>(n).fill('');

/** The filter columns of `leads`, written only when they change (see {@link Queries.upsertLeads}). */
export const FILTER_COLUMNS = ['stage', 'band', 'owner', 'queue'] as const;
export type FilterColumn = (typeof FILTER_COLUMNS)[number];

const EVENT_COLUMNS = ['id', 'lead_id', 'type', 'occurred_at', 'properties', 'received_at', 'rule_set_version'] as const;
function eventCells(row: EventWrite, into: unknown[]): void {
  const { event } = row;
  into.push(event.id, event.leadId, event.type, event.occurredAt, JSON.stringify(event.properties), row.receivedAt, row.version);
}

/** A lead to write with the revision this write stores (see {@link LeadCache}). */
export interface RevisedLeadWrite {
  write: LeadWrite;
  revision: string;
  /** The lead's state as JSON. */
  json: string;
}

const LEAD_COLUMNS = [
  'id',
  ...FILTER_COLUMNS,
  'score',
  'rule_set_version',
  'last_event_at',
  'last_event_id',
  'event_count',
  'created_at',
  'updated_at',
  'state',
  'revision',
  'due_at',
  'due_version',
  'fit',
  'engagement_base',
  'last_activity_at',
] as const;
/** Columns an existing lead's row takes from every write, besides the filter columns that changed. */
const LEAD_UPDATED_COLUMNS = [
  'score',
  'rule_set_version',
  'last_event_at',
  'last_event_id',
  'event_count',
  'updated_at',
  'state',
  'revision',
  'due_at',
  'due_version',
  'fit',
  'engagement_base',
  'last_activity_at',
] as const;
function leadCells({ write, revision, json }: RevisedLeadWrite, into: unknown[]): void {
  const { state } = write;
  into.push(
    state.leadId,
    state.stage,
    state.band,
    state.route.owner ?? null,
    state.route.queue,
    state.score.total,
    state.ruleSetVersion,
    write.lastEventAt,
    write.lastEventId,
    state.eventCount,
    write.createdAt,
    write.updatedAt,
    json,
    revision,
    write.dueAt === undefined ? null : (write.dueAt ?? NEVER_DUE),
    write.dueAt === undefined ? null : (write.dueVersion ?? null),
    state.score.fit,
    state.engagementAtLastActivity,
    state.lastActivityAt,
  );
}

const STAGE_CHANGE_COLUMNS = ['lead_id', 'seq', 'event_id', 'from_stage', 'to_stage', 'at', 'transition_id', 'reason', 'band'] as const;
function stageChangeCells(r: StageChangeRecord, into: unknown[]): void {
  into.push(r.leadId, r.seq, r.eventId, r.from, r.to, r.at, r.transitionId, r.reason, r.band);
}

const OUTCOME_COLUMNS = ['event_id', 'lead_id', 'kind', 'reason', 'note', 'amount', 'occurred_at', 'recorded_by', 'recorded_at'] as const;
function outcomeCells(o: OutcomeRecord, into: unknown[]): void {
  into.push(o.eventId, o.leadId, o.kind, o.reason, o.note, o.amount, o.occurredAt, o.recordedBy, o.recordedAt);
}

/** A shadow lead with the challenger version it belongs to. */
export interface VersionedShadowLead {
  version: string;
  lead: ShadowLead;
}

const SHADOW_LEAD_COLUMNS = ['lead_id', 'version', 'last_event_at', 'last_event_id', 'state'] as const;
function shadowLeadCells({ version, lead }: VersionedShadowLead, into: unknown[]): void {
  into.push(lead.state.leadId, version, lead.lastEventAt, lead.lastEventId, JSON.stringify(lead.state));
}

const SHADOW_RESULT_COLUMNS = ['event_id', 'version', 'lead_id', 'score', 'band', 'stage', 'explanation'] as const;
function shadowResultCells(r: ShadowResult, into: unknown[]): void {
  into.push(r.eventId, r.version, r.leadId, r.score, r.band, r.stage, r.explanation);
}

export class IngestStatements {
  private readonly leadUpserts = new Map<string, RowsStatement<RevisedLeadWrite>>();

  constructor(private readonly db: Kysely<Database>) {}

  readonly existingEventIds = new IdListQuery('existingEventIds', (n) =>
    this.db.selectFrom('events').select('id').where('id', 'in', placeholderIds(n)).compile(),
  );

  readonly existingLeadIds = new IdListQuery('existingLeadIds', (n) =>
    this.db.selectFrom('leads').select('id').where('id', 'in', placeholderIds(n)).compile(),
  );

  /** Leads as stored, with their states. */
  readonly leads = new IdListQuery('leads', (n) =>
    this.db
      .selectFrom('leads')
      .select([...STATE_COLUMNS, 'revision', 'last_event_at', 'last_event_id', 'created_at', 'updated_at'])
      .where('id', 'in', placeholderIds(n))
      .compile(),
  );

  /** Leads as stored, without their states: what tells whether a cached state is current. */
  readonly leadRevisions = new IdListQuery('leadRevisions', (n) =>
    this.db
      .selectFrom('leads')
      .select(['id', 'revision', 'event_count', 'last_event_at', 'last_event_id', 'created_at', 'updated_at'])
      .where('id', 'in', placeholderIds(n))
      .compile(),
  );

  readonly insertEvents = new RowsStatement(
    'insertEvents',
    EVENT_COLUMNS.length,
    (n) => this.db.insertInto('events').values(placeholderRows(EVENT_COLUMNS, n)).compile(),
    eventCells,
  );

  /** Inserts leads or overwrites them, setting only `filterColumns` of the filter columns. */
  upsertLeads(filterColumns: readonly FilterColumn[]): RowsStatement<RevisedLeadWrite> {
    const key = filterColumns.join(',');
    let statement = this.leadUpserts.get(key);
    if (!statement) {
      const updated = [...filterColumns, ...LEAD_UPDATED_COLUMNS];
      statement = new RowsStatement(
        `upsertLeads(${key})`,
        LEAD_COLUMNS.length,
        (n) =>
          this.db
            .insertInto('leads')
            .values(placeholderRows(LEAD_COLUMNS, n))
            .onConflict((oc) =>
              oc.column('id').doUpdateSet((eb) => Object.fromEntries(updated.map((column) => [column, eb.ref(`excluded.${column}`)]))),
            )
            .compile(),
        leadCells,
      );
      this.leadUpserts.set(key, statement);
    }
    return statement;
  }

  readonly insertStageChanges = new RowsStatement(
    'insertStageChanges',
    STAGE_CHANGE_COLUMNS.length,
    (n) => this.db.insertInto('stage_changes').values(placeholderRows(STAGE_CHANGE_COLUMNS, n)).compile(),
    stageChangeCells,
  );

  readonly insertOutcomes = new RowsStatement(
    'insertOutcomes',
    OUTCOME_COLUMNS.length,
    (n) => this.db.insertInto('outcomes').values(placeholderRows(OUTCOME_COLUMNS, n)).compile(),
    outcomeCells,
  );

  /** A challenger version's shadow leads; the version is the one parameter before the ids. */
  readonly shadowLeads = new IdListQuery(
    'shadowLeads',
    (n) => this.db.selectFrom('shadow_leads').selectAll().where('version', '=', '').where('lead_id', 'in', placeholderIds(n)).compile(),
    1,
  );

  readonly upsertShadowLeads = new RowsStatement(
    'upsertShadowLeads',
    SHADOW_LEAD_COLUMNS.length,
    (n) =>
      this.db
        .insertInto('shadow_leads')
        .values(placeholderRows(SHADOW_LEAD_COLUMNS, n))
        .onConflict((oc) =>
          oc.columns(['lead_id', 'version']).doUpdateSet((eb) => ({
            last_event_at: eb.ref('excluded.last_event_at'),
            last_event_id: eb.ref('excluded.last_event_id'),
            state: eb.ref('excluded.state'),
          })),
        )
        .compile(),
    shadowLeadCells,
  );

  readonly upsertShadowResults = new RowsStatement(
    'upsertShadowResults',
    SHADOW_RESULT_COLUMNS.length,
    (n) =>
      this.db
        .insertInto('shadow_results')
        .values(placeholderRows(SHADOW_RESULT_COLUMNS, n))
        .onConflict((oc) =>
          oc.columns(['event_id', 'version']).doUpdateSet((eb) => ({
            score: eb.ref('excluded.score'),
            band: eb.ref('excluded.band'),
            stage: eb.ref('excluded.stage'),
            explanation: eb.ref('excluded.explanation'),
          })),
        )
        .compile(),
    shadowResultCells,
  );
}
