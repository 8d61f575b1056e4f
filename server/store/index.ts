/**
 * Storage: one small interface over Kysely. SQLite (better-sqlite3) and
 * PostgreSQL (pg) differ only in the dialect {@link openDialect} picks; the
 * schema is built by in-code migrations run when the store opens.
 */
import { Kysely, Migrator, sql } from 'kysely';
import { openDialect, type DialectName } from './dialect';
import { localSettingsChannel, postgresSettingsChannel, type SettingsChannel } from './notifications';
import { migrationProvider } from './migrations';
import { ComparisonRecords } from './comparisons';
import { HistoryReader } from './history';
import { IngestStatements } from './ingest-statements';
import { LeadCache } from './lead-cache';
import { ActivationRecords } from './activations';
import { KeyRecords } from './api-keys';
import { Queries, type QueryContext } from './queries';
import { ShadowReads } from './shadow-reads';
import type { Database } from './schema';

export { Queries, leadFilterValues } from './queries';
export { sortValue } from './lead-list';
export { HistoryReader } from './history';
export { ComparisonRecords, type StoredComparison } from './comparisons';
export { KeyRecords } from './api-keys';
export { ShadowReads, type ShadowStageHistories } from './shadow-reads';
export type { EventRow, EventTupleText, HistoryCursor, ResultRow } from './history';
export type { EventWrite, LeadWrite } from './queries';
export { isUniqueViolation, type DialectName } from './dialect';
export { ImportStaging, checkpointAfterImport } from './import-staging';
export { isContention, retryContended, StoreBusyError, type RetryPolicy } from './contention';
export { DatabaseInUseError } from './server-lock';
export { dueLeadIds, setDueTimes, earliestDue, tryLockLeads, NEVER_DUE } from './due';
export type { SettingsChange, SettingsChannel, SettingsListener } from './notifications';
export * from './records';

export interface Store {
  readonly dialect: DialectName;
  readonly location: string;
  /** Queries outside a transaction (reads, single writes). */
  readonly read: Queries;
  /** Bulk reads of history, page by page, for comparisons. */
  readonly history: HistoryReader;
  /** The challenger's shadow stage histories beside the live ones, for its KPIs. */
  readonly shadow: ShadowReads;
  /** Notices between servers sharing the database that a shared setting changed. */
  readonly settings: SettingsChannel;
  /** Comparisons, readable by every server sharing the database. */
  readonly comparisons: ComparisonRecords;
  /** API keys (hashed), their use and revocation. */
  readonly keys: KeyRecords;
  /** Rule-set activations and the teams' reviews of versions. */
  readonly activations: ActivationRecords;
  /** Runs `work` in one transaction: all of its writes commit together or none do. */
  transaction<T>(work: (queries: Queries) => Promise<T>): Promise<T>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Hold a SQLite file for the life of the store, as a server does: a second server on it refuses to start. */
  serverLock?: boolean;
  /**
   * PostgreSQL: a URL that reaches the database directly, when `db` goes
   * through a transaction-mode pooler. Used for what needs a session of its
   * own: migrations (Kysely's migration lock is session-level) and the
   * settings listener (LISTEN). Default `db`.
   */
  directUrl?: string | undefined;
}

/** Opens (and creates or migrates) the database named by a `--db` value. */
export async function openStore(db: string, options: StoreOptions = {}): Promise<Store> {
  const opened = openDialect(db, { serverLock: options.serverLock ?? false });
  const kysely = new Kysely<Database>({ dialect: opened.dialect });
  const direct = opened.name === 'postgres' && options.directUrl ? options.directUrl : undefined;
  const migrating = direct ? new Kysely<Database>({ dialect: openDialect(direct).dialect }) : kysely;
  const { error, results } = await new Migrator({ db: migrating, provider: migrationProvider(opened.name) })
    .migrateToLatest()
    .finally(() => (migrating === kysely ? undefined : migrating.destroy()));
  if (error) {
    await kysely.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const context: QueryContext = { dialect: opened.name, statements: new IngestStatements(kysely), leads: new LeadCache() };
  return {
    dialect: opened.name,
    location: opened.location,
    read: new Queries(kysely, context, false),
    history: new HistoryReader(kysely, opened.name),
    shadow: new ShadowReads(kysely),
    comparisons: new ComparisonRecords(kysely),
    keys: new KeyRecords(kysely),
    activations: new ActivationRecords(kysely),
    settings: opened.name === 'postgres' ? postgresSettingsChannel(kysely, direct ?? db) : localSettingsChannel,
    transaction: async (work) => {
      let queries: Queries | undefined;
      let failure: unknown;
      const result = await kysely
        .transaction()
        .execute((trx) =>
          work((queries = new Queries(trx, context, true))).catch((error: unknown) => {
            failure = error;
            throw error;
          }),
        )
        // A failed statement can end a SQLite transaction itself (disk full, I/O error): the ROLLBACK after it
        // then fails ("no transaction is active") and would hide why. The first failure is the one to report.
        .catch((error: unknown) => {
          throw failure ?? error;
        });
      // Only now are the written states the stored ones.
      if (queries) context.leads.remember(queries.writtenLeads);
      return result;
    },
    ping: async () => {
      await sql`select 1`.execute(kysely);
    },
    close: async () => {
      await kysely.destroy();
      await opened.ended?.();
    },
  };
}
