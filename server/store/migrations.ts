/**
 * Schema migrations, in code so they ship with the server and run at start.
 * Only portable column types and plain indexes: the same migrations build the
 * SQLite and the PostgreSQL schema, but for the covering indexes SQLite alone
 * can hold (see {@link coveringHistoryIndex} and {@link historyByLead}) and
 * how each finds a lead's events (see {@link leanEvents} and
 * {@link eventsByLeadOnly}).
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectName } from './dialect';

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('leads')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('band', 'text', (c) => c.notNull())
      .addColumn('score', 'double precision', (c) => c.notNull())
      .addColumn('owner', 'text')
      .addColumn('queue', 'text')
      .addColumn('rule_set_version', 'text', (c) => c.notNull())
      .addColumn('last_event_at', 'text', (c) => c.notNull())
      .addColumn('last_event_id', 'text', (c) => c.notNull())
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .execute();
    for (const column of ['stage', 'band', 'score', 'owner', 'queue'] as const) {
      await db.schema.createIndex(`leads_${column}`).on('leads').column(column).execute();
    }
    await db.schema.createIndex('leads_updated').on('leads').columns(['updated_at', 'id']).execute();

    await db.schema
      .createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('lead_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('properties', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('points', 'double precision')
      .addColumn('score_after', 'double precision')
      .addColumn('stage_after', 'text')
      .addColumn('explanation', 'text')
      .execute();
    await db.schema.createIndex('events_lead_time').on('events').columns(['lead_id', 'occurred_at', 'id']).execute();

    await db.schema
      .createTable('stage_changes')
      .addColumn('lead_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('from_stage', 'text')
      .addColumn('to_stage', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('transition_id', 'text')
      .addColumn('reason', 'text')
      .addColumn('band', 'text')
      .addPrimaryKeyConstraint('stage_changes_pk', ['lead_id', 'seq'])
      .execute();
    await db.schema.createIndex('stage_changes_at').on('stage_changes').columns(['at']).execute();

    await db.schema
      .createTable('outcomes')
      .addColumn('event_id', 'text', (c) => c.primaryKey())
      .addColumn('lead_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('note', 'text')
      .addColumn('amount', 'double precision')
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('recorded_by', 'text')
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('outcomes_lead').on('outcomes').columns(['lead_id', 'occurred_at']).execute();
    await db.schema.createIndex('outcomes_kind').on('outcomes').columns(['kind', 'occurred_at']).execute();

    await db.schema
      .createTable('activations')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('slot', 'text', (c) => c.notNull())
      .addColumn('from_version', 'text')
      .addColumn('to_version', 'text')
      .addColumn('activated_by', 'text', (c) => c.notNull())
      .addColumn('activated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('shadow_leads')
      .addColumn('lead_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('last_event_at', 'text', (c) => c.notNull())
      .addColumn('last_event_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('shadow_leads_pk', ['lead_id', 'version'])
      .execute();

    await db.schema
      .createTable('shadow_results')
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('lead_id', 'text', (c) => c.notNull())
      .addColumn('score', 'double precision')
      .addColumn('band', 'text')
      .addColumn('stage', 'text')
      .addColumn('explanation', 'text')
      .addPrimaryKeyConstraint('shadow_results_pk', ['event_id', 'version'])
      .execute();
    await db.schema.createIndex('shadow_results_version').on('shadow_results').columns(['version', 'lead_id']).execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();

    await db.schema
      .createTable('meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};

/** Approvals of rule-set versions: one per team and version, the first one stands. */
const approvals: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('approvals')
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('team', 'text', (c) => c.notNull())
      .addColumn('approved_by', 'text', (c) => c.notNull())
      .addColumn('approved_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('approvals_pk', ['version', 'team'])
      .execute();
  },
};

/** Events by time then id: a replay reads the whole history in this order, page by page, without sorting. */
const eventsInTimeOrder: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('events_time').on('events').columns(['occurred_at', 'id']).execute();
  },
};

/**
 * SQLite only: the history index also holds the columns a replay reads, so a
 * comparison reads history from the index alone, in order, without visiting
 * each event's row (where its explanation makes it large). PostgreSQL keeps
 * the plain index: a btree entry there is limited to about 2.7 KB and
 * properties are unbounded.
 */
const coveringHistoryIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('events_history').on('events').columns(['occurred_at', 'id', 'lead_id', 'type', 'properties']).execute();
    await db.schema.dropIndex('events_time').execute();
  },
};

/**
 * A comparison reads history lead by lead (each lead's events together, in
 * time order), so that a replay holds one lead's state at a time instead of
 * every lead's. On SQLite the covering index moves to that order; it starts
 * with the columns of events_lead_time, which it replaces for the timeline
 * too, so an insert still updates two indexes. PostgreSQL reads by lead with
 * events_lead_time and no longer needs the index by time.
 */
const historyByLead = (dialect: DialectName): Migration => ({
  async up(db: Kysely<unknown>) {
    if (dialect === 'sqlite') {
      await db.schema
        .createIndex('events_lead_history')
        .on('events')
        .columns(['lead_id', 'occurred_at', 'id', 'type', 'properties'])
        .execute();
      await db.schema.dropIndex('events_history').execute();
      await db.schema.dropIndex('events_lead_time').execute();
    } else {
      await db.schema.dropIndex('events_time').execute();
    }
  },
});

/**
 * A revision per lead write, unique to it: a server keeps the states it wrote
 * and uses one again only while the row still holds that revision, so a write
 * by another server is never hidden by the cache (see LeadCache).
 */
const leadRevision: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('leads').addColumn('revision', 'text').execute();
  },
};

/**
 * When time alone next changes each lead (null: not yet computed, as for rows
 * written before this migration; the scheduler computes those), indexed for
 * the scheduler; and what the score as of now is computed from (fit, the
 * engagement at the last activity and its time), so lists show it without
 * reading each lead's state.
 */
const leadTime: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('leads').addColumn('due_at', 'text').execute();
    await db.schema.alterTable('leads').addColumn('fit', 'double precision').execute();
    await db.schema.alterTable('leads').addColumn('engagement_base', 'double precision').execute();
    await db.schema.alterTable('leads').addColumn('last_activity_at', 'text').execute();
    await db.schema.createIndex('leads_due').on('leads').columns(['due_at']).execute();
  },
};

/** An optional expiry per API key (null: never expires, as for every key made before). */
const keyExpiry: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('api_keys').addColumn('expires_at', 'text').execute();
  },
};

/**
 * Outbound webhooks: subscriptions; the outbox of messages, written in the
 * transaction that changed the lead (undispatched until fanned out to the
 * subscriptions); one delivery per message and subscription, leased by the
 * server sending it; and each attempt, for the delivery log.
 */
const webhooks: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webhook_subscriptions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('filter_queue', 'text')
      .addColumn('filter_owner', 'text')
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'text')
      .addColumn('failing_since', 'text')
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('webhook_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('lead_id', 'text', (c) => c.notNull())
      .addColumn('lead_seq', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('queue', 'text')
      .addColumn('owner', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('dispatched_at', 'text')
      .execute();
    await db.schema.createIndex('webhook_messages_undispatched').on('webhook_messages').columns(['dispatched_at', 'created_at']).execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('lead_id', 'text', (c) => c.notNull())
      .addColumn('lead_seq', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('lease_until', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('delivered_at', 'text')
      .execute();
    await db.schema.createIndex('webhook_deliveries_pending').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
    await db.schema
      .createIndex('webhook_deliveries_order')
      .on('webhook_deliveries')
      .columns(['subscription_id', 'lead_id', 'lead_seq'])
      .execute();
    await db.schema
      .createTable('webhook_attempts')
      .addColumn('delivery_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('latency_ms', 'double precision')
      .addColumn('error', 'text')
      .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
      .execute();
    await db.schema.createIndex('webhook_attempts_subscription').on('webhook_attempts').columns(['subscription_id', 'at']).execute();
  },
};

/**
 * Reviews that mean something: the key that gave each approval (null for
 * earlier ones), its decision ("approved" or "changes-requested"; null for
 * earlier ones, which were approvals) and its comment; and, per activation,
 * what it was expected to change (JSON; null when unknown or before this).
 */
const approvalReview: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('approvals').addColumn('key_id', 'text').execute();
    await db.schema.alterTable('approvals').addColumn('decision', 'text').execute();
    await db.schema.alterTable('approvals').addColumn('comment', 'text').execute();
    await db.schema.alterTable('activations').addColumn('impact', 'text').execute();
  },
};

/** Comparisons kept where every server sharing the database can read them. */
const comparisons: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('comparisons')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('report', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('comparisons_by_update').on('comparisons').column('updated_at').execute();
  },
};

/** When each API key was last accepted (null: not since this was recorded); written at most once a minute per key. */
const keyLastUse: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('api_keys').addColumn('last_used_at', 'text').execute();
  },
};

/**
 * The rule-set version each lead's due time was computed under (null for rows
 * written before this, as after any activation: the scheduler computes those
 * again under the active version), indexed so the scheduler finds them; and
 * the deliveries of each webhook message, so retention can tell when a
 * message has none left.
 */
const dueVersion: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('leads').addColumn('due_version', 'text').execute();
    await db.schema.createIndex('leads_due_version').on('leads').columns(['due_version']).execute();
    await db.schema.createIndex('webhook_deliveries_message').on('webhook_deliveries').columns(['message_id']).execute();
  },
};

/** Webhook subscriptions filtered by the stage a change leaves the lead in: the filter, and each message's stage. */
const webhookStageFilter: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('webhook_subscriptions').addColumn('filter_stages', 'text').execute();
    await db.schema.alterTable('webhook_messages').addColumn('stage', 'text').execute();
  },
};

/**
 * Lean writes. Each event keeps the rule-set version that evaluated it, and
 * its explanation is no longer stored but derived on read by folding the
 * lead's events under their versions (server/lead-derivation.ts); rows stored
 * before keep their explanation, which reads take as it is.
 *
 * On SQLite the events table becomes the history index itself: a WITHOUT
 * ROWID table keyed by (lead, time, id), the order in which every history
 * read takes a lead's events, with a unique index on the id for duplicates.
 * Before, the rows were stored in arrival order and a covering index held a
 * second copy of their lead, time, id, type and properties. Existing rows are
 * copied over in one pass (a database holding much history needs about its
 * events' size again in free disk while this runs).
 */
const leanEvents = (dialect: DialectName): Migration => ({
  async up(db: Kysely<unknown>) {
    if (dialect !== 'sqlite') {
      await db.schema.alterTable('events').addColumn('rule_set_version', 'text').execute();
      return;
    }
    await sql`
      create table events_by_lead (
        lead_id text not null,
        occurred_at text not null,
        id text not null,
        type text not null,
        properties text not null,
        received_at text not null,
        points double precision,
        score_after double precision,
        stage_after text,
        rule_set_version text,
        explanation text,
        primary key (lead_id, occurred_at, id)
      ) without rowid
    `.execute(db);
    await sql`
      insert into events_by_lead (lead_id, occurred_at, id, type, properties, received_at, points, score_after, stage_after, explanation)
      select lead_id, occurred_at, id, type, properties, received_at, points, score_after, stage_after, explanation
      from events order by lead_id, occurred_at, id
    `.execute(db);
    await db.schema.dropTable('events').execute();
    await sql`alter table events_by_lead rename to events`.execute(db);
    await db.schema.createIndex('events_id').on('events').column('id').unique().execute();
  },
});

/**
 * PostgreSQL only: a lead's events are found by an index on the lead alone.
 * Its entries share one key per lead (btree deduplication keeps one copy of
 * the lead and a list of row pointers), where the (lead, time, id) index kept
 * all three for every event: about 13 bytes per event instead of about 93
 * (npm run bench:storage).
 * Reads of one lead sort its events themselves (in code-unit order, see
 * `leadEvents`); history pages by (lead, time, id) scan the lead index in
 * order and sort each lead's few events by time and id as they go
 * (an incremental sort). SQLite's events table is keyed by (lead, time, id)
 * itself and keeps it.
 */
const eventsByLeadOnly: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('events_lead').on('events').column('lead_id').execute();
    await db.schema.dropIndex('events_lead_time').execute();
  },
};

/** Migrations by name, for a dialect; names sort in the order they apply. */
export function migrationProvider(dialect: DialectName): MigrationProvider {
  return {
    async getMigrations() {
      return {
        '0001_initial': initial,
        '0002_approvals': approvals,
        '0003_events_in_time_order': eventsInTimeOrder,
        ...(dialect === 'sqlite' && { '0004_covering_history_index': coveringHistoryIndex }),
        '0005_history_by_lead': historyByLead(dialect),
        '0006_lead_revision': leadRevision,
        '0007_lead_time': leadTime,
        '0009_webhooks': webhooks,
        '0008_key_expiry': keyExpiry,
        '0010_approval_review': approvalReview,
        '0011_comparisons': comparisons,
        '0012_key_last_use': keyLastUse,
        '0013_due_version': dueVersion,
        '0014_webhook_stage_filter': webhookStageFilter,
        '0015_lean_events': leanEvents(dialect),
        ...(dialect === 'postgres' && { '0016_events_by_lead_only': eventsByLeadOnly }),
      };
    },
  };
}
