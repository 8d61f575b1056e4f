/**
 * The scheduler's reads and writes of `leads.due_at`: which leads time has
 * changed by now, and due times computed without an event (see
 * server/scheduler.ts). Ingestion writes due_at with every lead it writes.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DialectName } from './dialect';
import { LEAD_LOCK_CLASS } from './queries';
import { NEVER_DUE, type Database } from './schema';

export { NEVER_DUE } from './schema';

/**
 * Up to `limit` leads whose due time is not known under `version` (the active
 * rule set), those first: rows written before due times were stored, and
 * leads whose due time another version computed (after an activation or a
 * rollback, every lead until the scheduler has been through them); then those
 * whose due time has come by `now`, earliest first.
 */
export async function dueLeadIds(
  db: Kysely<Database> | Transaction<Database>,
  now: string,
  version: string,
  limit: number,
): Promise<string[]> {
  // A row without a due time has no due version either (they are written together). Three conditions rather than
  // "is distinct from": each is a range of the due_version index, on SQLite and PostgreSQL.
  const unknown = await db
    .selectFrom('leads')
    .select('id')
    .where((eb) => eb.or([eb('due_version', 'is', null), eb('due_version', '<', version), eb('due_version', '>', version)]))
    .limit(limit)
    .execute();
  if (unknown.length >= limit) return unknown.map((row) => row.id);
  const due = await db
    .selectFrom('leads')
    .select('id')
    .where('due_at', '<=', now)
    .orderBy('due_at')
    .limit(limit - unknown.length)
    .execute();
  return [...new Set([...unknown, ...due].map((row) => row.id))];
}

/** Sets leads' due times (null: never without another event) as computed under `version`; the caller holds their lead locks. */
export async function setDueTimes(
  db: Transaction<Database> | Kysely<Database>,
  version: string,
  rows: readonly { leadId: string; dueAt: string | null }[],
): Promise<void> {
  for (const { leadId, dueAt } of rows) {
    await db
      .updateTable('leads')
      .set({ due_at: dueAt ?? NEVER_DUE, due_version: version })
      .where('id', '=', leadId)
      .execute();
  }
}

/** The earliest due time of any lead, null when none is due ever (for tests and health). */
export async function earliestDue(db: Kysely<Database> | Transaction<Database>): Promise<string | null> {
  const row = await db
    .selectFrom('leads')
    .select(sql<string | null>`min(due_at)`.as('due'))
    .where('due_at', '<', NEVER_DUE)
    .executeTakeFirst();
  return row?.due ?? null;
}

/**
 * Takes the lead locks of those of these leads no other transaction holds, and
 * returns them; the others are left to whoever holds them (PostgreSQL: the
 * transaction-scoped advisory locks of {@link Queries.lockLeads}, tried
 * without waiting). On SQLite, one server writes the file: all of them.
 */
export async function tryLockLeads(
  db: Kysely<Database> | Transaction<Database>,
  dialect: DialectName,
  leadIds: readonly string[],
): Promise<string[]> {
  if (dialect !== 'postgres' || leadIds.length === 0) return [...leadIds];
  const ids = [...new Set(leadIds)];
  const { rows } = await sql<{ id: string }>`
    select id from unnest(${ids}::text[]) as ids(id)
    where pg_try_advisory_xact_lock(${LEAD_LOCK_CLASS}, hashtext(id))
  `.execute(db);
  return rows.map((row) => row.id);
}
