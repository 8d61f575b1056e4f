/**
 * Webhook subscriptions (see migration 0009_webhooks): who wants which lead
 * changes, where, and how their deliveries fare. The same code serves SQLite
 * and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Stage } from '../../engine/index';
import type { Database, WebhookSubscriptionsTable } from '../store/schema';
import type { WebhookKind } from './kinds';

type Db = Kysely<Database> | Transaction<Database>;

export interface Subscription {
  id: string;
  url: string;
  events: WebhookKind[];
  filter: { queue?: string; owner?: string; stages?: Stage[] };
  createdAt: string;
  /** When deliveries started failing repeatedly; null while they succeed. */
  failingSince: string | null;
  consecutiveFailures: number;
}

/** The columns a {@link Subscription} is read from. */
type SubscriptionRow = Omit<WebhookSubscriptionsTable, 'secret' | 'deleted_at'>;

function subscriptionOf(row: SubscriptionRow): Subscription {
  const filter: Subscription['filter'] = {};
  if (row.filter_queue !== null) filter.queue = row.filter_queue;
  if (row.filter_owner !== null) filter.owner = row.filter_owner;
  if (row.filter_stages !== null) filter.stages = JSON.parse(row.filter_stages) as Stage[];
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookKind[],
    filter,
    createdAt: row.created_at,
    failingSince: row.failing_since,
    consecutiveFailures: row.consecutive_failures,
  };
}

const SUBSCRIPTION_COLUMNS = [
  'id',
  'url',
  'events',
  'filter_queue',
  'filter_owner',
  'filter_stages',
  'created_at',
  'failing_since',
  'consecutive_failures',
] as const;

export async function createSubscription(
  db: Db,
  subscription: { url: string; events: readonly WebhookKind[]; filter: Subscription['filter']; secret: string; now: string },
): Promise<Subscription> {
  const row = {
    id: `sub_${randomUUID().replaceAll('-', '')}`,
    url: subscription.url,
    events: JSON.stringify(subscription.events),
    filter_queue: subscription.filter.queue ?? null,
    filter_owner: subscription.filter.owner ?? null,
    filter_stages: subscription.filter.stages ? JSON.stringify(subscription.filter.stages) : null,
    secret: subscription.secret,
    created_at: subscription.now,
    deleted_at: null,
    failing_since: null,
    consecutive_failures: 0,
  };
  await db.insertInto('webhook_subscriptions').values(row).execute();
  return subscriptionOf(row);
}

export async function listSubscriptions(db: Db): Promise<Subscription[]> {
  const rows = await db
    .selectFrom('webhook_subscriptions')
    .select(SUBSCRIPTION_COLUMNS)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(subscriptionOf);
}

export async function getSubscription(db: Db, id: string): Promise<Subscription | undefined> {
  const row = await db
    .selectFrom('webhook_subscriptions')
    .select(SUBSCRIPTION_COLUMNS)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row && subscriptionOf(row);
}

/** Ends a subscription: nothing more is sent to it, pending deliveries included. Returns false for an unknown one. */
export async function deleteSubscription(db: Db, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_subscriptions')
    .set({ deleted_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
