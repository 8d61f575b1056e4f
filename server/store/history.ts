/**
 * Reading stored history in bulk, for comparisons of rule-set versions: all
 * events lead by lead, each lead's in time order, page by page (keyset pages
 * on the index by lead, time and id, so no page re-reads or sorts what came
 * before; on SQLite the index holds every column read), and the live and
 * shadow results of the leads the challenger has seen. The same queries for SQLite and PostgreSQL, but for
 * one expression ({@link eventTuple}).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DialectName } from './dialect';
import type { Database } from './schema';

/** An event row as stored; `properties` is JSON text. */
export interface EventRow {
  id: string;
  lead_id: string;
  type: string;
  occurred_at: string;
  properties: string;
}

/**
 * An event row with what the live version and the challenger did: the live
 * version's name (null: skipped, or a row from before versions were kept), its
 * explanation as JSON text only in rows from before explanations were derived
 * on read, and the challenger's explanation (null when skipped or not evaluated).
 */
export interface ResultRow extends EventRow {
  rule_set_version: string | null;
  explanation: string | null;
  shadow_explanation: string | null;
}

/** An event as a JSON array `[occurredAt, id, leadId, type, properties]`: its time is the first string, which a reader can find without parsing. */
export type EventTupleText = string;

/** Where a page of history ends: the next page starts after this (lead, time, id). */
export interface HistoryCursor {
  leadId: string;
  occurredAt: string;
  id: string;
}

/**
 * The one expression that differs between the databases: an event as a JSON
 * array, built by the database, so a row is one string instead of five and
 * properties (stored as JSON) are spliced in without being parsed.
 */
function eventTuple(dialect: DialectName): RawBuilder<string> {
  return dialect === 'sqlite'
    ? sql<string>`'["' || occurred_at || '",' || json_quote(id) || ',' || json_quote(lead_id) || ',' || json_quote(type) || ',' || properties || ']'`
    : sql<string>`json_build_array(occurred_at, id, lead_id, type, properties::json)::text`;
}

export class HistoryReader {
  private readonly tuple: RawBuilder<string>;

  constructor(
    private readonly db: Kysely<Database>,
    dialect: DialectName,
  ) {
    this.tuple = eventTuple(dialect);
  }

  /** The times of the first and last stored event (null when none is stored). */
  async span(): Promise<{ first: string | null; last: string | null }> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => [eb.fn.min('occurred_at').as('first'), eb.fn.max('occurred_at').as('last')])
      .executeTakeFirstOrThrow();
    return { first: row.first ?? null, last: row.last ?? null };
  }

  /** Events before `until` (all when null). */
  async countEvents(until: string | null): Promise<number> {
    let query = this.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n'));
    if (until !== null) query = query.where('occurred_at', '<', until);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  /**
   * The next `limit` events after `after` (from the start when null) and
   * before `until`, by lead, then time, then id, each as one JSON array. The
   * database orders ids by its own collation; callers needing code-unit order
   * re-sort a lead's events of equal time.
   */
  async eventTuplePage(after: HistoryCursor | null, until: string | null, limit: number): Promise<EventTupleText[]> {
    let query = this.db.selectFrom('events').select(this.tuple.as('tuple'));
    if (after) {
      query = query.where((eb) => eb(eb.refTuple('lead_id', 'occurred_at', 'id'), '>', eb.tuple(after.leadId, after.occurredAt, after.id)));
    }
    if (until !== null) query = query.where('occurred_at', '<', until);
    const rows = await query.orderBy('lead_id').orderBy('occurred_at').orderBy('id').limit(limit).execute();
    return rows.map((row) => row.tuple);
  }

  /** Leads with shadow results of `version`. */
  async countShadowLeads(version: string): Promise<number> {
    const row = await this.db
      .selectFrom('shadow_results')
      .select((eb) => eb.fn.count('lead_id').distinct().as('n'))
      .where('version', '=', version)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The next `limit` leads (by id, after `after`) that the challenger `version` has evaluated. */
  async shadowLeadPage(version: string, after: string | null, limit: number): Promise<string[]> {
    let query = this.db.selectFrom('shadow_results').select('lead_id').distinct().where('version', '=', version);
    if (after !== null) query = query.where('lead_id', '>', after);
    const rows = await query.orderBy('lead_id').limit(limit).execute();
    return rows.map((row) => row.lead_id);
  }

  /** Every event of these leads with the live result and the result of challenger `version`, in no particular order. */
  async leadResults(leadIds: readonly string[], version: string): Promise<ResultRow[]> {
    if (leadIds.length === 0) return [];
    return this.db
      .selectFrom('events as e')
      .leftJoin('shadow_results as s', (join) => join.onRef('s.event_id', '=', 'e.id').on('s.version', '=', version))
      .select([
        'e.id',
        'e.lead_id',
        'e.type',
        'e.occurred_at',
        'e.properties',
        'e.rule_set_version',
        'e.explanation',
        's.explanation as shadow_explanation',
      ])
      .where('e.lead_id', 'in', leadIds)
      .execute();
  }

  /** The next `limit` lead ids after `after` (from the start when null), in the database's order of ids. */
  async leadIdPage(after: string | null, limit: number): Promise<string[]> {
    let query = this.db.selectFrom('leads').select('id');
    if (after !== null) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((row) => row.id);
  }

  /** Every event of these leads, each as one JSON array (see {@link eventTuplePage}), in no particular order. */
  async leadEventTuples(leadIds: readonly string[]): Promise<EventTupleText[]> {
    if (leadIds.length === 0) return [];
    const rows = await this.db.selectFrom('events').select(this.tuple.as('tuple')).where('lead_id', 'in', leadIds).execute();
    return rows.map((row) => row.tuple);
  }
}
