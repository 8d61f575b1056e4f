/**
 * The staging tables of an import: the accepted events of a file, written in
 * batches as the file is read, then read back lead by lead (leads in the
 * order they first appear, each lead's events in file order). They are
 * temporary tables inside the import's transaction, so they live on its
 * connection only, on disk rather than in memory (SQLite writes temporary
 * tables to a temporary file), and vanish with the transaction whether it
 * commits or not.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { LeadEvent } from '../../engine/index';
import type { DialectName } from './dialect';
import type { Database } from './schema';

/** Rows per INSERT: three parameters each, well under SQLite's and PostgreSQL's limits on parameters per statement. */
const ROWS_PER_INSERT = 1_000;

/** SQLite page cache of the staging tables, in KiB. */
const TEMP_CACHE_KIB = 2_048;

/**
 * Rows in INSERTs of a few fixed sizes ({@link ROWS_PER_INSERT}, then powers
 * of two): each size is one prepared statement, kept by the store's statement
 * cache; a statement per batch size would fill that cache with hundreds of
 * large ones over a long import.
 */
function* insertBatches<T>(rows: readonly T[]): Generator<T[]> {
  let at = 0;
  for (let size = ROWS_PER_INSERT; at < rows.length;) {
    if (rows.length - at >= size) {
      yield rows.slice(at, at + size);
      at += size;
    } else size = size === ROWS_PER_INSERT ? 512 : size / 2;
  }
}

type Db = Kysely<Database> | Transaction<Database>;

export class ImportStaging {
  private nextSeq = 1;

  private constructor(
    private readonly db: Db,
    private readonly dialect: DialectName,
  ) {}

  /** Creates the staging tables in the transaction `db`, empty (any left by an earlier import on this connection are dropped first). */
  static async open(db: Db, dialect: DialectName): Promise<ImportStaging> {
    const staging = new ImportStaging(db, dialect);
    await staging.drop();
    const temporary = dialect === 'postgres' ? sql`temporary` : sql`temp`;
    const onCommit = dialect === 'postgres' ? sql`on commit drop` : sql``;
    await sql`create ${temporary} table import_events (seq bigint primary key, lead_id text not null, event text not null) ${onCommit}`.execute(
      db,
    );
    await sql`create ${temporary} table import_leads (lead_id text primary key, first_seq bigint not null) ${onCommit}`.execute(db);
    // SQLite keeps a page cache per schema (16 MB by default here); staging is written once and read once, so a small one does.
    if (dialect === 'sqlite') await sql.raw(`pragma temp.cache_size = -${TEMP_CACHE_KIB}`).execute(db);
    return staging;
  }

  /** Adds events, in file order after those already staged. */
  async stage(events: readonly LeadEvent[]): Promise<void> {
    const firstSeqOf = new Map<string, number>();
    const rows = events.map((event) => {
      const seq = this.nextSeq++;
      if (!firstSeqOf.has(event.leadId)) firstSeqOf.set(event.leadId, seq);
      return sql`(${seq}, ${event.leadId}, ${JSON.stringify(event)})`;
    });
    for (const batch of insertBatches(rows))
      await sql`insert into import_events (seq, lead_id, event) values ${sql.join(batch)}`.execute(this.db);
    const leads = [...firstSeqOf].map(([leadId, seq]) => sql`(${leadId}, ${seq})`);
    for (const batch of insertBatches(leads))
      await sql`insert into import_leads (lead_id, first_seq) values ${sql.join(batch)} on conflict (lead_id) do nothing`.execute(this.db);
  }

  /** Leads staged. Builds the indexes the reading needs (faster once, after the last row, than kept up row by row). */
  async leadCount(): Promise<number> {
    await sql`create index import_events_by_lead on import_events (lead_id, seq)`.execute(this.db);
    await sql`create index import_leads_by_order on import_leads (first_seq)`.execute(this.db);
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from import_leads`.execute(this.db);
    return Number(rows[0]!.n);
  }

  /** The staged events, `leadsPerChunk` leads at a time: each lead's events in file order, leads in the order they first appeared. */
  async *leadChunks(leadsPerChunk: number): AsyncGenerator<Map<string, LeadEvent[]>> {
    let after = 0;
    for (;;) {
      const { rows: leads } = await sql<{ lead_id: string; first_seq: number | string }>`
        select lead_id, first_seq from import_leads where first_seq > ${after} order by first_seq limit ${leadsPerChunk}`.execute(this.db);
      if (leads.length === 0) return;
      after = Number(leads.at(-1)!.first_seq);
      const chunk = new Map<string, LeadEvent[]>(leads.map((lead) => [lead.lead_id, []]));
      const ids = sql.join(leads.map((lead) => sql`${lead.lead_id}`));
      const { rows } = await sql<{ lead_id: string; event: string }>`
        select lead_id, event from import_events where lead_id in (${ids}) order by seq`.execute(this.db);
      for (const row of rows) chunk.get(row.lead_id)!.push(JSON.parse(row.event) as LeadEvent);
      yield chunk;
    }
  }

  /** Drops the staging tables (PostgreSQL also drops them at commit). */
  async drop(): Promise<void> {
    await sql`drop table if exists import_events`.execute(this.db);
    await sql`drop table if exists import_leads`.execute(this.db);
  }
}

/**
 * SQLite: copies the WAL into the database file and cuts it back to empty, so
 * a large import leaves no large WAL behind. Best effort: a reader holding an
 * old snapshot makes SQLite leave the rest for a later checkpoint.
 */
export async function checkpointAfterImport(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
}
