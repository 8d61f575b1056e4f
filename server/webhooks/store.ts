/**
 * The webhook outbox (see migration 0009_webhooks): messages, their fan-out to
 * subscriptions as deliveries, and the deliveries' attempts. The same code
 * serves SQLite and PostgreSQL. Subscriptions themselves are in
 * subscriptions.ts.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { LeadState, Stage } from '../../engine/index';
import type { LeadChange } from '../ingestion';
import type { Database } from '../store/schema';
import { changeMessages, type WebhookKind } from './kinds';
import { listSubscriptions } from './subscriptions';

type Db = Kysely<Database> | Transaction<Database>;

export interface DeliveryClaim {
  id: string;
  messageId: string;
  subscriptionId: string;
  url: string;
  secret: string;
  payload: string;
  attempts: number;
  createdAt: string;
}

export interface AttemptResult {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  ok: boolean;
}

/** Rows per multi-row insert: about 2,500 parameters, well within SQLite's and PostgreSQL's limits. */
const ROWS_PER_INSERT = 200;

/** Messages per lead write are numbered from its event count, so a lead's messages keep the order of its writes. */
const MESSAGES_PER_WRITE = 16;

/**
 * Writes the messages the changed leads produce, in the caller's transaction
 * (the outbox): only of the kinds a live subscription wants, read in the same
 * transaction, so that a server with no subscriptions writes no messages at
 * all. A subscription gets the changes made after it was stored (as fan-out
 * gives it no message made before), less any whose write was already under
 * way on another server when it was.
 */
export async function recordMessages(
  db: Db,
  changes: readonly LeadChange[],
  now: string,
  withHistories: (state: LeadState) => Promise<LeadState>,
): Promise<void> {
  if (changes.length === 0) return;
  const wanted = new Set<string>();
  for (const row of await db.selectFrom('webhook_subscriptions').select('events').where('deleted_at', 'is', null).execute()) {
    for (const kind of JSON.parse(row.events) as WebhookKind[]) wanted.add(kind);
  }
  if (wanted.size === 0) return;
  const rows = [];
  for (const { before, after } of changes) {
    const wantedOf = (state: LeadState) => changeMessages(before, state).filter((payload) => wanted.has(payload.type));
    let payloads = wantedOf(after);
    // A hand-off summary lists recent activity, which the stored state leaves out: derived for the few messages that carry one.
    if (payloads.some((payload) => payload.data.handOff)) payloads = wantedOf(await withHistories(after));
    rows.push(
      ...payloads.map((payload, i) => ({
        id: `msg_${randomUUID().replaceAll('-', '')}`,
        lead_id: after.leadId,
        lead_seq: after.eventCount * MESSAGES_PER_WRITE + i,
        kind: payload.type,
        queue: after.route.queue,
        owner: after.route.owner ?? null,
        stage: after.stage,
        payload: JSON.stringify(payload),
        created_at: now,
        dispatched_at: null,
      })),
    );
  }
  // In statements of bounded size: a batch of thousands of leads makes thousands of messages, more parameters than one statement takes.
  for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) {
    await db
      .insertInto('webhook_messages')
      .values(rows.slice(at, at + ROWS_PER_INSERT))
      .execute();
  }
}

/**
 * Fans undispatched messages out to the subscriptions that want them (kind and
 * filter; subscriptions made after the message do not get it), as pending
 * deliveries, and marks the messages dispatched (or deletes those no
 * subscription wants). Idempotent: two servers doing
 * it at once make each delivery once (its id is the message's and the
 * subscription's).
 */
export async function fanOut(db: Db, now: string, limit: number): Promise<number> {
  const messages = await db
    .selectFrom('webhook_messages')
    .select(['id', 'lead_id', 'lead_seq', 'kind', 'queue', 'owner', 'stage', 'created_at'])
    .where('dispatched_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  if (messages.length === 0) return 0;
  const subscriptions = await listSubscriptions(db);
  const deliveries = messages.flatMap((message) =>
    subscriptions
      .filter(
        (s) =>
          s.createdAt <= message.created_at &&
          s.events.includes(message.kind as WebhookKind) &&
          (s.filter.queue === undefined || s.filter.queue === message.queue) &&
          (s.filter.owner === undefined || s.filter.owner === message.owner) &&
          (s.filter.stages === undefined || (message.stage !== null && s.filter.stages.includes(message.stage as Stage))),
      )
      .map((s) => ({
        id: `${message.id}.${s.id}`,
        message_id: message.id,
        subscription_id: s.id,
        lead_id: message.lead_id,
        lead_seq: message.lead_seq,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_until: null,
        created_at: now,
        delivered_at: null,
      })),
  );
  for (let at = 0; at < deliveries.length; at += ROWS_PER_INSERT) {
    await db
      .insertInto('webhook_deliveries')
      .values(deliveries.slice(at, at + ROWS_PER_INSERT))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  // A message no subscription wants is never sent: it is dropped rather than kept, so the outbox stays small without subscribers.
  const wanted = new Set(deliveries.map((d) => d.message_id));
  const kept = messages.filter((m) => wanted.has(m.id)).map((m) => m.id);
  const dropped = messages.filter((m) => !wanted.has(m.id)).map((m) => m.id);
  if (kept.length > 0) {
    await db
      .updateTable('webhook_messages')
      .set({ dispatched_at: now })
      .where('id', 'in', kept)
      .where('dispatched_at', 'is', null)
      .execute();
  }
  if (dropped.length > 0) await db.deleteFrom('webhook_messages').where('id', 'in', dropped).where('dispatched_at', 'is', null).execute();
  return messages.length;
}

/**
 * Claims up to `limit` deliveries due by `now` for `leaseMs`: each is the
 * earliest pending one of its lead for its subscription (a lead's messages go
 * out in order), and not held by another server. A claim is an update that
 * succeeds for one server only; a server that dies holding one loses it when
 * the lease ends.
 */
export async function claimDeliveries(db: Db, now: string, leaseUntil: string, limit: number): Promise<DeliveryClaim[]> {
  const candidates = await db
    .selectFrom('webhook_deliveries as d')
    .select(['d.id'])
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('webhook_deliveries as e')
            .select(sql`1`.as('one'))
            .whereRef('e.subscription_id', '=', 'd.subscription_id')
            .whereRef('e.lead_id', '=', 'd.lead_id')
            .where('e.status', '=', 'pending')
            .where((eb) =>
              eb.or([
                eb('e.lead_seq', '<', eb.ref('d.lead_seq')),
                eb.and([eb('e.lead_seq', '=', eb.ref('d.lead_seq')), eb('e.id', '<', eb.ref('d.id'))]),
              ]),
            ),
        ),
      ),
    )
    .orderBy('d.next_attempt_at')
    .limit(limit)
    .execute();
  const claimed: DeliveryClaim[] = [];
  for (const { id } of candidates) {
    const result = await db
      .updateTable('webhook_deliveries')
      .set({ lease_until: leaseUntil })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) continue;
    const row = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_messages as m', 'm.id', 'd.message_id')
      .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
      .select(['d.id', 'd.message_id', 'd.subscription_id', 'd.attempts', 'd.created_at', 'm.payload', 's.url', 's.secret', 's.deleted_at'])
      .where('d.id', '=', id)
      .executeTakeFirst();
    if (!row) continue;
    if (row.deleted_at !== null) {
      await db.updateTable('webhook_deliveries').set({ status: 'failed', lease_until: null }).where('id', '=', id).execute();
      continue;
    }
    claimed.push({
      id: row.id,
      messageId: row.message_id,
      subscriptionId: row.subscription_id,
      url: row.url,
      secret: row.secret,
      payload: row.payload,
      attempts: row.attempts,
      createdAt: row.created_at,
    });
  }
  return claimed;
}

/**
 * Logs an attempt and settles the delivery: delivered, pending again at
 * `retryAt`, or failed (null `retryAt`: given up). Repeated failures mark the
 * subscription failing; a success clears it.
 */
export async function recordAttempt(
  db: Db,
  claim: DeliveryClaim,
  result: AttemptResult,
  now: string,
  retryAt: string | null,
  failingAfter: number,
): Promise<void> {
  const attempt = claim.attempts + 1;
  await db
    .insertInto('webhook_attempts')
    .values({
      delivery_id: claim.id,
      attempt,
      subscription_id: claim.subscriptionId,
      at: now,
      status_code: result.statusCode,
      latency_ms: result.latencyMs,
      error: result.error,
    })
    .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
    .execute();
  await db
    .updateTable('webhook_deliveries')
    .set({
      attempts: attempt,
      status: result.ok ? 'delivered' : retryAt === null ? 'failed' : 'pending',
      next_attempt_at: retryAt ?? now,
      delivered_at: result.ok ? now : null,
      lease_until: null,
    })
    .where('id', '=', claim.id)
    .execute();
  if (result.ok) {
    await db
      .updateTable('webhook_subscriptions')
      .set({ consecutive_failures: 0, failing_since: null })
      .where('id', '=', claim.subscriptionId)
      .execute();
  } else {
    await db
      .updateTable('webhook_subscriptions')
      .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
      .where('id', '=', claim.subscriptionId)
      .execute();
    await db
      .updateTable('webhook_subscriptions')
      .set({ failing_since: now })
      .where('id', '=', claim.subscriptionId)
      .where('failing_since', 'is', null)
      .where('consecutive_failures', '>=', failingAfter)
      .execute();
  }
}

export interface DeliveryView {
  id: string;
  messageId: string;
  kind: string;
  leadId: string;
  status: string;
  attempts: Array<{ attempt: number; at: string; statusCode: number | null; latencyMs: number | null; error: string | null }>;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** A subscription's deliveries, newest first, each with its attempts (the delivery log). */
export async function listDeliveries(db: Db, subscriptionId: string, limit: number): Promise<DeliveryView[]> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_messages as m', 'm.id', 'd.message_id')
    .select([
      'd.id',
      'd.message_id',
      'm.kind',
      'd.lead_id',
      'd.status',
      'd.next_attempt_at',
      'd.created_at',
      'd.delivered_at',
      'd.lead_seq',
    ])
    .where('d.subscription_id', '=', subscriptionId)
    .orderBy('d.created_at', 'desc')
    .orderBy('d.lead_seq', 'desc')
    .limit(limit)
    .execute();
  if (rows.length === 0) return [];
  const attempts = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('attempt')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    messageId: row.message_id,
    kind: row.kind,
    leadId: row.lead_id,
    status: row.status,
    attempts: attempts
      .filter((a) => a.delivery_id === row.id)
      .map((a) => ({ attempt: a.attempt, at: a.at, statusCode: a.status_code, latencyMs: a.latency_ms, error: a.error })),
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  }));
}

/** Sends a delivery again (delivered or given up) at the next dispatch; false when the subscription has no such delivery. */
export async function redeliver(db: Db, subscriptionId: string, deliveryId: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, lease_until: null })
    .where('id', '=', deliveryId)
    .where('subscription_id', '=', subscriptionId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
