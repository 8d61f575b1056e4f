/**
 * Reading what the challenger did in shadow, for its KPIs: each lead's
 * challenger stage history (from its shadow state, with the band each change
 * left from the shadow results) beside the stored live stage changes of the
 * same leads. Leads are read a page at a time, so the states parsed at once
 * stay few; the same queries serve SQLite and PostgreSQL.
 */
import type { Kysely } from 'kysely';
import type { LeadState } from '../../engine/index';
import { stageChangeFromRow } from './queries';
import { stageChangeRecord, type StageChangeRecord } from './records';
import type { Database } from './schema';

/** Leads (and so parsed shadow states) per page; also the length of each page's `IN (…)` lists, far below any parameter limit. */
const LEADS_PER_PAGE = 1_000;

/** The stage changes of the leads a challenger has evaluated, as it saw them and as the live versions did. */
export interface ShadowStageHistories {
  /** Leads with a shadow state of the challenger, at any time. */
  leadIds: string[];
  /** The challenger's stage changes, grouped by lead in history order. */
  challenger: StageChangeRecord[];
  /** The stored live stage changes of the same leads, grouped by lead in history order. */
  live: StageChangeRecord[];
}

export class ShadowReads {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stage changes before `until` of every lead challenger `version` has evaluated, by the challenger and by the live versions. */
  async stageHistories(version: string, until: string): Promise<ShadowStageHistories> {
    const histories: ShadowStageHistories = { leadIds: [], challenger: [], live: [] };
    let after: string | null = null;
    for (;;) {
      let query = this.db.selectFrom('shadow_leads').select(['lead_id', 'state']).where('version', '=', version);
      if (after !== null) query = query.where('lead_id', '>', after);
      const leads = await query.orderBy('lead_id').limit(LEADS_PER_PAGE).execute();
      if (leads.length === 0) return histories;
      const leadIds = leads.map((lead) => lead.lead_id);
      const bands = await this.shadowBands(version, leadIds);
      for (const lead of leads) {
        const { stageHistory } = JSON.parse(lead.state) as LeadState;
        stageHistory.forEach((change, seq) => {
          if (change.at < until) histories.challenger.push(stageChangeRecord(lead.lead_id, seq, change, bands.get(change.eventId) ?? null));
        });
      }
      histories.live.push(...(await this.liveStageChanges(leadIds, until)));
      histories.leadIds.push(...leadIds);
      if (leads.length < LEADS_PER_PAGE) return histories;
      after = leadIds[leadIds.length - 1]!;
    }
  }

  /** The band challenger `version` left after each event of these leads, by event id. */
  private async shadowBands(version: string, leadIds: readonly string[]): Promise<Map<string, string | null>> {
    const rows = await this.db
      .selectFrom('shadow_results')
      .select(['event_id', 'band'])
      .where('version', '=', version)
      .where('lead_id', 'in', leadIds)
      .execute();
    return new Map(rows.map((row) => [row.event_id, row.band]));
  }

  /** Stored live stage changes of these leads before `until`, grouped by lead in history order. */
  private async liveStageChanges(leadIds: readonly string[], until: string): Promise<StageChangeRecord[]> {
    const rows = await this.db
      .selectFrom('stage_changes')
      .selectAll()
      .where('lead_id', 'in', leadIds)
      .where('at', '<', until)
      .orderBy('lead_id')
      .orderBy('seq')
      .execute();
    return rows.map(stageChangeFromRow);
  }
}
