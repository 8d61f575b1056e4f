/**
 * Rule-set activations (which version is active, and which is the challenger,
 * since when and by whom) and the teams' reviews of versions. Read and written
 * outside the lead data's transactions: any server sharing the database
 * records and reads them.
 */
import type { Kysely } from 'kysely';
import { isUniqueViolation } from './dialect';
import type { ActivationImpact, ActivationRecord, ActivationSlot, ApprovalRecord, ReviewDecision, Team } from './records';
import type { Database } from './schema';

/** Ids tried by one activation record when servers record at the same time. */
const ACTIVATION_ID_ATTEMPTS = 10;

export class ActivationRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async latestActivation(slot: ActivationSlot): Promise<ActivationRecord | undefined> {
    const row = await this.db
      .selectFrom('activations')
      .selectAll()
      .where('slot', '=', slot)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && activationRecord(row);
  }

  async activations(): Promise<ActivationRecord[]> {
    const rows = await this.db.selectFrom('activations').selectAll().orderBy('id', 'desc').execute();
    return rows.map(activationRecord);
  }

  /**
   * Records an activation with the next id. Two servers recording at once may
   * pick the same id: the loser (a unique violation) takes the next one.
   * Outside a transaction, a failed insert leaves nothing to roll back.
   */
  async recordActivation(given: Omit<ActivationRecord, 'id' | 'impact'> & { impact?: ActivationImpact | null }): Promise<ActivationRecord> {
    const record = { ...given, impact: given.impact ?? null };
    for (let attempt = 1; ; attempt++) {
      const last = await this.db
        .selectFrom('activations')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst();
      const id = Number(last?.id ?? 0) + 1;
      try {
        await this.db
          .insertInto('activations')
          .values({
            id,
            slot: record.slot,
            from_version: record.fromVersion,
            to_version: record.toVersion,
            activated_by: record.activatedBy,
            activated_at: record.activatedAt,
            impact: record.impact === null ? null : JSON.stringify(record.impact),
          })
          .execute();
        return { id, ...record };
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= ACTIVATION_ID_ATTEMPTS) throw error;
      }
    }
  }

  /** The newest activation id: it changes with every activation, on any server (what a server compares to notice one). */
  async latestActivationId(): Promise<number> {
    const row = await this.db
      .selectFrom('activations')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  /** Whether `version` has ever been the active version (a later activation of it is a rollback). */
  async wasActive(version: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('activations')
      .select('id')
      .where('slot', '=', 'active')
      .where('to_version', '=', version)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** A version's reviews, one per team (its latest), marketing first. */
  async approvals(version: string): Promise<ApprovalRecord[]> {
    const rows = await this.db.selectFrom('approvals').selectAll().where('version', '=', version).orderBy('team').execute();
    return rows.map((row) => ({
      team: row.team as Team,
      decision: (row.decision ?? 'approved') as ReviewDecision,
      by: row.approved_by,
      keyId: row.key_id ?? null,
      comment: row.comment ?? '',
      at: row.approved_at,
    }));
  }

  /**
   * Records a team's review of a version, in place of its earlier one; false
   * when the team had already approved and approves again (the first approval
   * stands). A request for changes replaces an approval, and an approval a
   * request for changes.
   */
  async recordApproval(version: string, review: ApprovalRecord): Promise<boolean> {
    const values = {
      approved_by: review.by,
      approved_at: review.at,
      key_id: review.keyId,
      decision: review.decision,
      comment: review.comment,
    };
    const result = await this.db
      .insertInto('approvals')
      .values({ version, team: review.team, ...values })
      .onConflict((oc) => {
        const replace = oc.columns(['version', 'team']).doUpdateSet(values);
        // An approval stands against another approval; anything else replaces the team's review.
        return review.decision === 'approved'
          ? replace.where((eb) => eb(eb.fn.coalesce('approvals.decision', eb.val('approved')), '!=', 'approved'))
          : replace;
      })
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}

function activationRecord(row: Database['activations']): ActivationRecord {
  return {
    id: Number(row.id),
    slot: row.slot as ActivationSlot,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    activatedBy: row.activated_by,
    activatedAt: row.activated_at,
    impact: row.impact ? (JSON.parse(row.impact) as ActivationImpact) : null,
  };
}
