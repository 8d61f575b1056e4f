/**
 * The queries of the lead data (events, leads, stage changes, outcomes, the
 * challenger's shadow results and settings), written once against Kysely's
 * query builder so the same code serves SQLite and PostgreSQL. A `Queries`
 * wraps either the database or an open transaction. Activations and reviews
 * (activations.ts), API keys (api-keys.ts) and comparisons (comparisons.ts)
 * have their own.
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { byCodeUnit, type LeadEvent, type LeadState } from '../../engine/index';
import type { DialectName } from './dialect';
import type { Database, StageChangesTable } from './schema';
import { FILTER_COLUMNS, type FilterColumn, type IngestStatements, type RevisedLeadWrite } from './ingest-statements';
import { WrittenLeads, type LeadCache } from './lead-cache';
import { listLeads } from './lead-list';
import { decodeState, encodeState, trimState } from './lead-state';
import type {
  LeadFilter,
  LeadSummaryRow,
  OutcomeRecord,
  ShadowLead,
  ShadowResult,
  StageChangeRecord,
  StoredEventResult,
  StoredLead,
} from './records';

export interface LeadFilterValues {
  stage: string;
  band: string;
  owner: string | null;
  queue: string;
}

/** The indexed filter columns of a lead, from its state. */
export function leadFilterValues(state: LeadState): LeadFilterValues {
  return { stage: state.stage, band: state.band, owner: state.route.owner ?? null, queue: state.route.queue };
}

/** A lead row to write: its state and its newest event. */
export interface LeadWrite {
  /** Stored without its stage history and recent activity (see lead-state.ts). */
  state: LeadState;
  /** How many stage changes the lead has had, those of this write included. */
  stageCount: number;
  /** Filter columns as stored, for a lead that exists. */
  previous?: LeadFilterValues;
  lastEventAt: string;
  lastEventId: string;
  createdAt: string;
  updatedAt: string;
  /** When time alone next changes the lead; null: never without another event; left out: not computed (the scheduler will). */
  dueAt?: string | null;
  /** The rule-set version `dueAt` was computed under. */
  dueVersion?: string;
}

/**
 * An event row to write, or to rewrite after its lead was recomputed: the
 * event and the version that evaluated it (null: skipped, a type the version
 * does not know). What it did is derived on read, never stored.
 */
export interface EventWrite {
  event: LeadEvent;
  receivedAt: string;
  version: string | null;
}

/** What the queries of one store share: statements compiled once, and the states of the leads this process wrote. */
export interface QueryContext {
  dialect: DialectName;
  statements: IngestStatements;
  leads: LeadCache;
}

/** A stored stage_changes row as a record. */
export function stageChangeFromRow(row: Selectable<StageChangesTable>): StageChangeRecord {
  return {
    leadId: row.lead_id,
    seq: row.seq,
    eventId: row.event_id,
    from: row.from_stage,
    to: row.to_stage,
    at: row.at,
    transitionId: row.transition_id,
    reason: row.reason,
    band: row.band,
  };
}

/**
 * First key of the advisory locks that guard leads (see {@link Queries.lockLeads}):
 * it keeps them apart from any other advisory lock taken on the database
 * (Kysely's migration lock uses the one-key form, which never meets the two-key one).
 */
export const LEAD_LOCK_CLASS = 0x1eadf10;

export class Queries {
  /** Leads written through these queries, with their revisions: the cache takes them when the transaction commits. */
  readonly writtenLeads: WrittenLeads;

  /**
   * @param inTransaction whether `db` is a transaction: outside one, each
   * statement commits alone and written leads leave the cache instead.
   */
  constructor(
    readonly db: Kysely<Database> | Transaction<Database>,
    private readonly context: QueryContext,
    private readonly inTransaction: boolean,
  ) {
    this.writtenLeads = new WrittenLeads(context.leads.capacity);
  }

  // ── locks ─────────────────────────────────────────────────────────────

  /**
   * Makes this transaction the only writer of these leads until it ends, on
   * every server sharing the database: on PostgreSQL, one transaction-scoped
   * advisory lock per lead (two-key form: {@link LEAD_LOCK_CLASS} and the hash
   * of the lead id), all taken in one statement in ascending key order, so
   * transactions over several leads queue instead of deadlocking. Being
   * transaction-scoped, the locks work through a transaction-mode pooler and
   * end with the transaction even if the server dies. On SQLite nothing is
   * needed: one server writes a file (see the server lock), and SQLite runs one
   * write transaction at a time.
   */
  async lockLeads(leadIds: readonly string[]): Promise<void> {
    if (this.context.dialect !== 'postgres' || leadIds.length === 0) return;
    const ids = [...new Set(leadIds)];
    await sql`
      select count(pg_advisory_xact_lock(${LEAD_LOCK_CLASS}, k))
      from (select distinct hashtext(id) as k from unnest(${ids}::text[]) as ids(id) order by k) as lead_keys
    `.execute(this.db);
  }

  // ── events ────────────────────────────────────────────────────────────

  /** Which of these event ids are already stored. */
  async existingEventIds(ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.context.statements.existingEventIds.run(this.db, [...new Set(ids)]);
    return new Set(rows.map((row) => row.id));
  }

  /** The lead of each of these stored events, by event id. */
  async eventLeadIds(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('events')
      .select(['id', 'lead_id'])
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return new Map(rows.map((row) => [row.id, row.lead_id]));
  }

  async insertEvents(rows: readonly EventWrite[]): Promise<void> {
    await this.context.statements.insertEvents.run(this.db, rows);
  }

  /** Rewrites the version that evaluated stored events (after a lead was recomputed). */
  async updateEventResults(rows: readonly EventWrite[]): Promise<void> {
    for (const row of rows) {
      await this.db
        .updateTable('events')
        .set({
          rule_set_version: row.version,
          // What rows from before lean writes stored of the result no longer holds: it is derived from the version.
          points: null,
          score_after: null,
          stage_after: null,
          explanation: null,
        })
        .where('id', '=', row.event.id)
        .execute();
    }
  }

  /**
   * A lead's events in evaluation order: time, then id, compared by code
   * unit here rather than by the database, whose text order depends on its collation.
   */
  async leadEvents(leadId: string): Promise<StoredEventResult[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('lead_id', '=', leadId).execute();
    rows.sort((a, b) => byCodeUnit(a.occurred_at, b.occurred_at) || byCodeUnit(a.id, b.id));
    return rows.map((row) => ({
      event: { id: row.id, leadId: row.lead_id, type: row.type, occurredAt: row.occurred_at, properties: JSON.parse(row.properties) },
      receivedAt: row.received_at,
      version: row.rule_set_version,
      explanation: row.explanation,
    }));
  }

  async countEvents(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // ── leads ─────────────────────────────────────────────────────────────

  async leadsByIds(ids: readonly string[]): Promise<Map<string, StoredLead>> {
    const rows = await this.context.statements.leads.run(this.db, [...new Set(ids)]);
    return new Map(
      rows.map((row) => [
        row.id,
        {
          ...decodeState(row),
          revision: row.revision,
          lastEventAt: row.last_event_at,
          lastEventId: row.last_event_id,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        },
      ]),
    );
  }

  /**
   * Leads about to be evaluated again: as {@link leadsByIds}, but a state
   * this process wrote and that is still the stored one comes from the cache
   * (see {@link LeadCache}) and must not be changed.
   */
  async leadsToEvaluate(ids: readonly string[]): Promise<Map<string, StoredLead>> {
    const rows = await this.context.statements.leadRevisions.run(this.db, [...new Set(ids)]);
    const leads = new Map<string, StoredLead>();
    const missed: string[] = [];
    for (const row of rows) {
      const cached = this.context.leads.get(row.id, row.revision);
      // The event count is a second check, against a writer that does not set revisions.
      if (cached && cached.state.eventCount === row.event_count) {
        leads.set(row.id, {
          ...cached,
          revision: row.revision,
          lastEventAt: row.last_event_at,
          lastEventId: row.last_event_id,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        });
      } else missed.push(row.id);
    }
    if (missed.length > 0) for (const [id, lead] of await this.leadsByIds(missed)) leads.set(id, lead);
    return leads;
  }

  /** Which of these lead ids are stored. */
  async existingLeadIds(ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.context.statements.existingLeadIds.run(this.db, [...new Set(ids)]);
    return new Set(rows.map((row) => row.id));
  }

  async lead(id: string): Promise<StoredLead | undefined> {
    return (await this.leadsByIds([id])).get(id);
  }

  /**
   * Inserts new leads and overwrites existing ones, each with a new revision.
   * A filter column (stage, band, owner, queue) is written only for the leads
   * where it changed: rewriting an unchanged indexed value still rewrites its
   * index page.
   */
  async upsertLeads(rows: readonly LeadWrite[]): Promise<void> {
    const groups = new Map<string, { columns: FilterColumn[]; rows: RevisedLeadWrite[] }>();
    const revised: RevisedLeadWrite[] = [];
    for (const write of rows) {
      const current = leadFilterValues(write.state);
      const columns = write.previous ? FILTER_COLUMNS.filter((column) => current[column] !== write.previous![column]) : [...FILTER_COLUMNS];
      const key = columns.join(',');
      const group = groups.get(key) ?? groups.set(key, { columns, rows: [] }).get(key)!;
      const row = { write, revision: this.context.leads.nextRevision(), json: encodeState(write.state, write.stageCount) };
      group.rows.push(row);
      revised.push(row);
    }
    for (const { columns, rows: group } of groups.values()) await this.context.statements.upsertLeads(columns).run(this.db, group);
    if (this.inTransaction) {
      for (const { write, revision } of revised) {
        this.writtenLeads.add(write.state.leadId, { revision, state: trimState(write.state), stageCount: write.stageCount });
      }
    } else this.context.leads.forget(revised.map((row) => row.write.state.leadId));
  }

  async listLeads(filter: LeadFilter): Promise<LeadSummaryRow[]> {
    return listLeads(this.db, filter);
  }

  async countLeads(): Promise<number> {
    const row = await this.db
      .selectFrom('leads')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // ── stage changes and outcomes ───────────────────────────────────────

  async insertStageChanges(rows: readonly StageChangeRecord[]): Promise<void> {
    await this.context.statements.insertStageChanges.run(this.db, rows);
  }

  async deleteStageChanges(leadId: string): Promise<void> {
    await this.db.deleteFrom('stage_changes').where('lead_id', '=', leadId).execute();
  }

  /** Stage changes up to a time, grouped by lead in history order (for KPIs). */
  async stageChangesUntil(until: string): Promise<StageChangeRecord[]> {
    const rows = await this.db.selectFrom('stage_changes').selectAll().where('at', '<', until).orderBy('lead_id').orderBy('seq').execute();
    return rows.map(stageChangeFromRow);
  }

  async insertOutcomes(rows: readonly OutcomeRecord[]): Promise<void> {
    await this.context.statements.insertOutcomes.run(this.db, rows);
  }

  /** Outcomes in time order, before `until` and/or of one lead. */
  async outcomes(filter: { until?: string; leadId?: string }): Promise<OutcomeRecord[]> {
    let query = this.db.selectFrom('outcomes').selectAll();
    if (filter.until !== undefined) query = query.where('occurred_at', '<', filter.until);
    if (filter.leadId !== undefined) query = query.where('lead_id', '=', filter.leadId);
    const rows = await query.orderBy('occurred_at').orderBy('event_id').execute();
    return rows.map((o) => ({
      eventId: o.event_id,
      leadId: o.lead_id,
      kind: o.kind as OutcomeRecord['kind'],
      reason: o.reason,
      note: o.note,
      amount: o.amount,
      occurredAt: o.occurred_at,
      recordedBy: o.recorded_by,
      recordedAt: o.recorded_at,
    }));
  }

  // ── challenger (shadow) evaluation ────────────────────────────────────

  async shadowLeads(version: string, leadIds: readonly string[]): Promise<Map<string, ShadowLead>> {
    const rows = await this.context.statements.shadowLeads.run(this.db, [...new Set(leadIds)], [version]);
    return new Map(
      rows.map((row) => [
        row.lead_id,
        { state: JSON.parse(row.state) as LeadState, lastEventAt: row.last_event_at, lastEventId: row.last_event_id },
      ]),
    );
  }

  async upsertShadowLeads(version: string, rows: readonly ShadowLead[]): Promise<void> {
    await this.context.statements.upsertShadowLeads.run(
      this.db,
      rows.map((lead) => ({ version, lead })),
    );
  }

  async upsertShadowResults(rows: readonly ShadowResult[]): Promise<void> {
    await this.context.statements.upsertShadowResults.run(this.db, rows);
  }

  async shadowResultsForLead(leadId: string, version: string): Promise<ShadowResult[]> {
    const rows = await this.db
      .selectFrom('shadow_results')
      .selectAll()
      .where('lead_id', '=', leadId)
      .where('version', '=', version)
      .execute();
    return rows.map((r) => ({
      eventId: r.event_id,
      version: r.version,
      leadId: r.lead_id,
      score: r.score,
      band: r.band,
      stage: r.stage,
      explanation: r.explanation,
    }));
  }

  // ── meta ──────────────────────────────────────────────────────────────

  async meta(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }
}
