/**
 * Comparisons kept in the database, so that every server sharing it can
 * answer for a comparison whichever server runs it. A comparison's state
 * (status, progress, period…) is one JSON text, its report another, written
 * by the server running it: when it starts, about once a second while it
 * runs (a heartbeat), and when it ends.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema';

/** A comparison as stored: its state as JSON text, the report once done, and when the running server last wrote it. */
export interface StoredComparison {
  state: string;
  report: string | null;
  updatedAt: string;
}

export class ComparisonRecords {
  constructor(private readonly db: Kysely<Database>) {}

  /** Writes a comparison's state (and report, once done), replacing what was stored. */
  async save(id: string, state: string, report: string | null, updatedAt: string): Promise<void> {
    await this.db
      .insertInto('comparisons')
      .values({ id, state, report, updated_at: updatedAt })
      .onConflict((conflict) => conflict.column('id').doUpdateSet({ state, report, updated_at: updatedAt }))
      .execute();
  }

  async find(id: string): Promise<StoredComparison | undefined> {
    const row = await this.db.selectFrom('comparisons').select(['state', 'report', 'updated_at']).where('id', '=', id).executeTakeFirst();
    return row && { state: row.state, report: row.report, updatedAt: row.updated_at };
  }

  /** Deletes all but the `keep` most recently written finished comparisons. */
  async prune(keep: number): Promise<void> {
    const kept = this.db.selectFrom('comparisons').select('id').where('report', 'is not', null).orderBy('updated_at', 'desc').limit(keep);
    await this.db.deleteFrom('comparisons').where('report', 'is not', null).where('id', 'not in', kept).execute();
  }
}
