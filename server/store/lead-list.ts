/**
 * The filtered, sorted and paged lead list: one query for SQLite and
 * PostgreSQL. A lead's hand-off time is read from its stage changes, so rows
 * written before it was asked for have one too.
 */
import type { Expression, ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Database } from './schema';
import type { LeadFilter, LeadSort, LeadSummaryRow } from './records';

/** The stages sales works a lead in: entering one of them from anywhere else is a hand-off. */
const HANDED_OFF_STAGES = ['mql', 'sal', 'sql'];
/**
 * Where a lead never handed off sorts among hand-off times: after every
 * instant the API accepts (times are UTC ISO text, so they order as text).
 */
const NEVER_HANDED_OFF = '9999-12-31T23:59:59.999Z~';

/** Each sort's direction: newest update and highest score first; the longest wait since hand-off first. */
const DIRECTION: Record<LeadSort, 'asc' | 'desc'> = { updated: 'desc', score: 'desc', handoff: 'asc' };

type LeadExpressions = ExpressionBuilder<Database, 'leads'>;

/** The lead's latest hand-off: its newest stage change into a sales stage from outside them. */
function handedOffAt(eb: LeadExpressions) {
  return eb
    .selectFrom('stage_changes as change')
    .select((inner) => inner.fn.max('change.at').as('at'))
    .whereRef('change.lead_id', '=', 'leads.id')
    .where('change.to_stage', 'in', HANDED_OFF_STAGES)
    .where((inner) => inner.or([inner('change.from_stage', 'is', null), inner('change.from_stage', 'not in', HANDED_OFF_STAGES)]));
}

/** Reads one page of leads, `filter.limit` at most, in the order of `filter.sort`. */
export async function listLeads(db: Kysely<Database> | Transaction<Database>, filter: LeadFilter): Promise<LeadSummaryRow[]> {
  const sort = filter.sort ?? 'updated';
  const direction = DIRECTION[sort];
  let query = db
    .selectFrom('leads')
    .select((eb) => [
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
      'fit',
      'engagement_base',
      'last_activity_at',
      handedOffAt(eb).as('handed_off_at'),
    ]);
  if (filter.stages && filter.stages.length > 0) query = query.where('stage', 'in', [...filter.stages]);
  if (filter.band) query = query.where('band', '=', filter.band);
  if (filter.minScore !== undefined) query = query.where('score', '>=', filter.minScore);
  if (filter.maxScore !== undefined) query = query.where('score', '<=', filter.maxScore);
  if (filter.owner) query = query.where('owner', '=', filter.owner);
  if (filter.queue) query = query.where('queue', '=', filter.queue);
  if (filter.updatedSince) query = query.where('updated_at', '>=', filter.updatedSince);

  // PostgreSQL cannot name a select alias in WHERE, so the sort key is the expression itself.
  const sortKey = (eb: LeadExpressions): Expression<string | number> => {
    if (sort === 'score') return eb.ref('score');
    if (sort === 'updated') return eb.ref('updated_at');
    return eb.fn.coalesce(handedOffAt(eb), eb.val(NEVER_HANDED_OFF));
  };
  const after = filter.after;
  if (after) {
    const beyond = direction === 'desc' ? '<' : '>';
    query = query.where((eb) =>
      eb.or([eb(sortKey(eb), beyond, after.value), eb.and([eb(sortKey(eb), '=', after.value), eb('id', beyond, after.id)])]),
    );
  }
  const rows = await query
    .orderBy((eb) => sortKey(eb), direction)
    .orderBy('id', direction)
    .limit(filter.limit)
    .execute();
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
    handedOffAt: row.handed_off_at ?? null,
    decayBasis:
      row.fit === null || row.engagement_base === null
        ? null
        : { fit: row.fit, engagementAtLastActivity: row.engagement_base, lastActivityAt: row.last_activity_at },
  }));
}

/** The value a row sorts by, for the cursor of the page it ends. */
export function sortValue(row: LeadSummaryRow, sort: LeadSort): string | number {
  if (sort === 'score') return row.score;
  if (sort === 'updated') return row.updatedAt;
  return row.handedOffAt ?? NEVER_HANDED_OFF;
}
