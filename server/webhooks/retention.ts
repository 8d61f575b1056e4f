/**
 * Retention of the outbox and the delivery log: deliveries settled (delivered,
 * or given up after the retry window) before a cutoff are deleted with their
 * attempts, then the messages left without any delivery. A pending delivery,
 * being retried or waiting behind an earlier one of its lead, is never
 * deleted, nor is its message; a redelivery makes a settled one pending again.
 *
 * A delivery's `next_attempt_at` is when it was last settled (a delivery or a
 * give-up sets it to that moment), so one indexed range finds what is old
 * enough. Each batch is one short transaction; servers sharing a PostgreSQL
 * database skip the rows another one is deleting instead of waiting for them.
 */
import type { Kysely, Transaction } from 'kysely';
import type { DialectName } from '../store/index';
import type { Database } from '../store/schema';

type Db = Kysely<Database> | Transaction<Database>;

/** Statuses a delivery keeps once nothing more is sent for it (unless redelivered). */
const SETTLED = ['delivered', 'failed'];

/**
 * Deletes up to `limit` deliveries settled before `before`, with their
 * attempts; resolves with how many were deleted. Run in a transaction.
 */
export async function purgeSettledDeliveries(db: Db, dialect: DialectName, before: string, limit: number): Promise<number> {
  let candidates = db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', 'in', SETTLED)
    .where('next_attempt_at', '<', before)
    .limit(limit);
  if (dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
  const ids = (await candidates.execute()).map((row) => row.id);
  if (ids.length === 0) return 0;
  // Checked again on delete: a redelivery may have made one pending since it was read (on SQLite, where nothing is locked).
  const deleted = await db
    .deleteFrom('webhook_deliveries')
    .where('id', 'in', ids)
    .where('status', 'in', SETTLED)
    .where('next_attempt_at', '<', before)
    .returning('id')
    .execute();
  if (deleted.length === 0) return 0;
  await db
    .deleteFrom('webhook_attempts')
    .where(
      'delivery_id',
      'in',
      deleted.map((row) => row.id),
    )
    .execute();
  return deleted.length;
}

/**
 * Deletes up to `limit` messages dispatched before `before` that have no
 * delivery left; resolves with how many. A message's deliveries settle after
 * it was dispatched, so one whose last delivery was purged is in this range.
 */
export async function purgeDeliveredMessages(db: Db, dialect: DialectName, before: string, limit: number): Promise<number> {
  let candidates = db
    .selectFrom('webhook_messages as m')
    .select('m.id')
    .where('m.dispatched_at', '<', before)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.message_id', '=', 'm.id'))),
    )
    .limit(limit);
  if (dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
  const ids = (await candidates.execute()).map((row) => row.id);
  if (ids.length === 0) return 0;
  const result = await db
    .deleteFrom('webhook_messages')
    .where('id', 'in', ids)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.message_id', '=', 'webhook_messages.id'))),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
