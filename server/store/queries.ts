/**
 * Every query the server runs, written once against Kysely's query builder so
 * the same code serves SQLite and PostgreSQL. A `Queries` wraps either the
 * database or an open transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import type { LeadEvent, LeadState } from '../../engine/index';
import type { Database } from './schema';
import type {
  ActivationRecord,
  ActivationSlot,
  ApiKeyRecord,
  ApprovalRecord,
  LeadFilter,
  LeadSummaryRow,
  OutcomeRecord,
  Role,
  ShadowLead,
  ShadowResult,
  StageChangeRecord,
  StoredEventResult,
  StoredLead,
  Team,
} from './records';

/** Bound parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;
/** Ids per `IN (…)` list. */
const MAX_IN_LIST = 5_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMETERS / columns));
}

const FILTER_COLUMNS = ['stage', 'band', 'owner', 'queue'] as const;
type FilterColumn = (typeof FILTER_COLUMNS)[number];
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
  state: LeadState;
  /** Filter columns as stored, for a lead that exists. */
  previous?: LeadFilterValues;
  lastEventAt: string;
  lastEventId: string;
  createdAt: string;
  updatedAt: string;
}

/** An event row to write or rewrite with what it did. */
export interface EventWrite {
  event: LeadEvent;
  receivedAt: string;
  points: number | null;
  scoreAfter: number | null;
  stageAfter: string | null;
  explanation: string | null;
}

export class Queries {
  constructor(readonly db: Kysely<Database> | Transaction<Database>) {}

  // ── events ────────────────────────────────────────────────────────────

  /** Which of these event ids are already stored. */
  async existingEventIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks([...new Set(ids)], MAX_IN_LIST)) {
      const rows = await this.db.selectFrom('events').select('id').where('id', 'in', part).execute();
      for (const row of rows) found.add(row.id);
    }
    return found;
  }

  async insertEvents(rows: readonly EventWrite[]): Promise<void> {
    for (const part of chunks(rows, rowsPerStatement(10))) {
      await this.db.insertInto('events').values(part.map(eventRow)).execute();
    }
  }

  /** Rewrites what stored events did (after a lead was recomputed). */
  async updateEventResults(rows: readonly EventWrite[]): Promise<void> {
    for (const row of rows) {
      await this.db
        .updateTable('events')
        .set({ points: row.points, score_after: row.scoreAfter, stage_after: row.stageAfter, explanation: row.explanation })
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
    rows.sort((a, b) =>
      a.occurred_at !== b.occurred_at ? (a.occurred_at < b.occurred_at ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    return rows.map((row) => ({
      event: { id: row.id, leadId: row.lead_id, type: row.type, occurredAt: row.occurred_at, properties: JSON.parse(row.properties) },
      receivedAt: row.received_at,
      points: row.points,
      scoreAfter: row.score_after,
      stageAfter: row.stage_after,
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
    const leads = new Map<string, StoredLead>();
    for (const part of chunks([...new Set(ids)], MAX_IN_LIST)) {
      const rows = await this.db
        .selectFrom('leads')
        .select(['id', 'state', 'last_event_at', 'last_event_id', 'created_at', 'updated_at'])
        .where('id', 'in', part)
        .execute();
      for (const row of rows) {
        leads.set(row.id, {
          state: JSON.parse(row.state) as LeadState,
          lastEventAt: row.last_event_at,
          lastEventId: row.last_event_id,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        });
      }
    }
    return leads;
  }

  /** Which of these lead ids are stored. */
  async existingLeadIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks([...new Set(ids)], MAX_IN_LIST)) {
      const rows = await this.db.selectFrom('leads').select('id').where('id', 'in', part).execute();
      for (const row of rows) found.add(row.id);
    }
    return found;
  }

  async lead(id: string): Promise<StoredLead | undefined> {
    return (await this.leadsByIds([id])).get(id);
  }

  /**
   * Inserts new leads and overwrites existing ones. A filter column (stage,
   * band, owner, queue) is written only for the leads where it changed:
   * rewriting an unchanged indexed value still rewrites its index page.
   */
  async upsertLeads(rows: readonly LeadWrite[]): Promise<void> {
    const groups = new Map<string, { columns: FilterColumn[]; rows: LeadWrite[] }>();
    for (const row of rows) {
      const columns = row.previous
        ? FILTER_COLUMNS.filter((column) => leadFilterValues(row.state)[column] !== row.previous![column])
        : [...FILTER_COLUMNS];
      const key = columns.join(',');
      const group = groups.get(key) ?? groups.set(key, { columns, rows: [] }).get(key)!;
      group.rows.push(row);
    }
    for (const { columns, rows: group } of groups.values()) {
      for (const part of chunks(group, rowsPerStatement(13))) {
        await this.db
          .insertInto('leads')
          .values(part.map(leadRow))
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              ...Object.fromEntries(columns.map((column) => [column, eb.ref(`excluded.${column}`)])),
              score: eb.ref('excluded.score'),
              rule_set_version: eb.ref('excluded.rule_set_version'),
              last_event_at: eb.ref('excluded.last_event_at'),
              last_event_id: eb.ref('excluded.last_event_id'),
              event_count: eb.ref('excluded.event_count'),
              updated_at: eb.ref('excluded.updated_at'),
              state: eb.ref('excluded.state'),
            })),
          )
          .execute();
      }
    }
  }

  async listLeads(filter: LeadFilter): Promise<LeadSummaryRow[]> {
    let query = this.db
      .selectFrom('leads')
      .select([
        'id',
        'stage',
        'band',
        'score',
        'owner',
        'queue',
        'rule_set_version',
        'event_count',
        'last_event_at',
        'created_at',
        'updated_at',
      ]);
    if (filter.stage) query = query.where('stage', '=', filter.stage);
    if (filter.band) query = query.where('band', '=', filter.band);
    if (filter.minScore !== undefined) query = query.where('score', '>=', filter.minScore);
    if (filter.maxScore !== undefined) query = query.where('score', '<=', filter.maxScore);
    if (filter.owner) query = query.where('owner', '=', filter.owner);
    if (filter.queue) query = query.where('queue', '=', filter.queue);
    if (filter.updatedSince) query = query.where('updated_at', '>=', filter.updatedSince);
    const after = filter.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('updated_at', '<', after.updatedAt), eb.and([eb('updated_at', '=', after.updatedAt), eb('id', '<', after.id)])]),
      );
    }
    const rows = await query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map((row) => ({
      id: row.id,
      stage: row.stage,
      band: row.band,
      score: row.score,
      owner: row.owner,
      queue: row.queue,
      ruleSetVersion: row.rule_set_version,
      eventCount: row.event_count,
      lastEventAt: row.last_event_at,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
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
    for (const part of chunks(rows, rowsPerStatement(9))) {
      await this.db
        .insertInto('stage_changes')
        .values(
          part.map((r) => ({
            lead_id: r.leadId,
            seq: r.seq,
            event_id: r.eventId,
            from_stage: r.from,
            to_stage: r.to,
            at: r.at,
            transition_id: r.transitionId,
            reason: r.reason,
            band: r.band,
          })),
        )
        .execute();
    }
  }

  async deleteStageChanges(leadId: string): Promise<void> {
    await this.db.deleteFrom('stage_changes').where('lead_id', '=', leadId).execute();
  }

  /** Stage changes up to a time, grouped by lead in history order (for KPIs). */
  async stageChangesUntil(until: string): Promise<StageChangeRecord[]> {
    const rows = await this.db.selectFrom('stage_changes').selectAll().where('at', '<', until).orderBy('lead_id').orderBy('seq').execute();
    return rows.map((r) => ({
      leadId: r.lead_id,
      seq: r.seq,
      eventId: r.event_id,
      from: r.from_stage,
      to: r.to_stage,
      at: r.at,
      transitionId: r.transition_id,
      reason: r.reason,
      band: r.band,
    }));
  }

  async insertOutcomes(rows: readonly OutcomeRecord[]): Promise<void> {
    for (const part of chunks(rows, rowsPerStatement(9))) {
      await this.db
        .insertInto('outcomes')
        .values(
          part.map((o) => ({
            event_id: o.eventId,
            lead_id: o.leadId,
            kind: o.kind,
            reason: o.reason,
            note: o.note,
            amount: o.amount,
            occurred_at: o.occurredAt,
            recorded_by: o.recordedBy,
            recorded_at: o.recordedAt,
          })),
        )
        .execute();
    }
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

  // ── rule-set activations ──────────────────────────────────────────────

  async latestActivation(slot: ActivationSlot): Promise<ActivationRecord | undefined> {
    const row = await this.db
      .selectFrom('activations')
      .selectAll()
      .where('slot', '=', slot)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && activationRecord(row);
  }

  async activations(): Promise<ActivationRecord[]> {
    const rows = await this.db.selectFrom('activations').selectAll().orderBy('id', 'desc').execute();
    return rows.map(activationRecord);
  }

  async recordActivation(record: Omit<ActivationRecord, 'id'>): Promise<ActivationRecord> {
    const last = await this.db
      .selectFrom('activations')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    const id = Number(last?.id ?? 0) + 1;
    await this.db
      .insertInto('activations')
      .values({
        id,
        slot: record.slot,
        from_version: record.fromVersion,
        to_version: record.toVersion,
        activated_by: record.activatedBy,
        activated_at: record.activatedAt,
      })
      .execute();
    return { id, ...record };
  }

  /** Whether `version` has ever been the active version (a later activation of it is a rollback). */
  async wasActive(version: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('activations')
      .select('id')
      .where('slot', '=', 'active')
      .where('to_version', '=', version)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  // ── approvals ─────────────────────────────────────────────────────────

  /** A version's approvals, marketing first. */
  async approvals(version: string): Promise<ApprovalRecord[]> {
    const rows = await this.db.selectFrom('approvals').selectAll().where('version', '=', version).orderBy('team').execute();
    return rows.map((row) => ({ team: row.team as Team, by: row.approved_by, at: row.approved_at }));
  }

  /** Records a team's approval of a version; false when that team had already approved it (the first approval stands). */
  async recordApproval(version: string, approval: ApprovalRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('approvals')
      .values({ version, team: approval.team, approved_by: approval.by, approved_at: approval.at })
      .onConflict((oc) => oc.columns(['version', 'team']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  // ── challenger (shadow) evaluation ────────────────────────────────────

  async shadowLeads(version: string, leadIds: readonly string[]): Promise<Map<string, ShadowLead>> {
    const leads = new Map<string, ShadowLead>();
    for (const part of chunks([...new Set(leadIds)], MAX_IN_LIST)) {
      const rows = await this.db
        .selectFrom('shadow_leads')
        .selectAll()
        .where('version', '=', version)
        .where('lead_id', 'in', part)
        .execute();
      for (const row of rows) {
        leads.set(row.lead_id, {
          state: JSON.parse(row.state) as LeadState,
          lastEventAt: row.last_event_at,
          lastEventId: row.last_event_id,
        });
      }
    }
    return leads;
  }

  async upsertShadowLeads(version: string, rows: readonly ShadowLead[]): Promise<void> {
    for (const part of chunks(rows, rowsPerStatement(5))) {
      await this.db
        .insertInto('shadow_leads')
        .values(
          part.map((r) => ({
            lead_id: r.state.leadId,
            version,
            last_event_at: r.lastEventAt,
            last_event_id: r.lastEventId,
            state: JSON.stringify(r.state),
          })),
        )
        .onConflict((oc) =>
          oc.columns(['lead_id', 'version']).doUpdateSet((eb) => ({
            last_event_at: eb.ref('excluded.last_event_at'),
            last_event_id: eb.ref('excluded.last_event_id'),
            state: eb.ref('excluded.state'),
          })),
        )
        .execute();
    }
  }

  async upsertShadowResults(rows: readonly ShadowResult[]): Promise<void> {
    for (const part of chunks(rows, rowsPerStatement(7))) {
      await this.db
        .insertInto('shadow_results')
        .values(
          part.map((r) => ({
            event_id: r.eventId,
            version: r.version,
            lead_id: r.leadId,
            score: r.score,
            band: r.band,
            stage: r.stage,
            explanation: r.explanation,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['event_id', 'version']).doUpdateSet((eb) => ({
            score: eb.ref('excluded.score'),
            band: eb.ref('excluded.band'),
            stage: eb.ref('excluded.stage'),
            explanation: eb.ref('excluded.explanation'),
          })),
        )
        .execute();
    }
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

  // ── API keys ──────────────────────────────────────────────────────────

  async keyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && keyRecord(row);
  }

  async insertKey(record: ApiKeyRecord, hash: string): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: record.id,
        name: record.name,
        role: record.role,
        key_hash: hash,
        created_at: record.createdAt,
        revoked_at: record.revokedAt,
      })
      .execute();
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(keyRecord);
  }

  /** Revokes a key; false when no such active key. */
  async revokeKey(id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async countActiveKeys(role: Role): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('role', '=', role)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
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

function eventRow(row: EventWrite) {
  return {
    id: row.event.id,
    lead_id: row.event.leadId,
    type: row.event.type,
    occurred_at: row.event.occurredAt,
    properties: JSON.stringify(row.event.properties),
    received_at: row.receivedAt,
    points: row.points,
    score_after: row.scoreAfter,
    stage_after: row.stageAfter,
    explanation: row.explanation,
  };
}

function leadRow(row: LeadWrite) {
  const { state } = row;
  return {
    id: state.leadId,
    ...leadFilterValues(state),
    score: state.score.total,
    rule_set_version: state.ruleSetVersion,
    last_event_at: row.lastEventAt,
    last_event_id: row.lastEventId,
    event_count: state.eventCount,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    state: JSON.stringify(state),
  };
}

function activationRecord(row: Database['activations']): ActivationRecord {
  return {
    id: Number(row.id),
    slot: row.slot as ActivationSlot,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    activatedBy: row.activated_by,
    activatedAt: row.activated_at,
  };
}

function keyRecord(row: Database['api_keys']): ApiKeyRecord {
  return { id: row.id, name: row.name, role: row.role as Role, createdAt: row.created_at, revokedAt: row.revoked_at };
}
