/**
 * History for a comparison, page by page, as JSON text: the main thread reads
 * pages from the store and hands each to the comparison's worker, which parses
 * a page in one call. Properties and explanations are stored as JSON already,
 * so they are spliced into the page as they are, never parsed here.
 */
import { compareHistory } from '../lead-history';
import type { EventRow, HistoryCursor, HistoryReader, ResultRow } from '../store/index';

export interface Page {
  json: string;
  /** Events (replay) or leads (shadow) in the page. */
  size: number;
}

/** A replay page row: `[id, leadId, type, occurredAt, properties]`. */
export type EventTuple = [string, string, string, string, Record<string, unknown>];
/** A shadow page row: `[leadId, [[id, type, occurredAt, properties, live explanation, shadow explanation], …]]`, events in history order. */
export type LeadTuple = [string, Array<[string, string, string, Record<string, unknown>, unknown, unknown]>];

const byHistory = (a: EventRow, b: EventRow) =>
  compareHistory({ occurredAt: a.occurred_at, id: a.id }, { occurredAt: b.occurred_at, id: b.id });

/** Puts events of equal time in id order by code unit, as the server's history order has them; the database's collation may differ. */
function sortTies(rows: EventRow[]): void {
  for (let start = 0; start < rows.length;) {
    let end = start + 1;
    while (end < rows.length && rows[end]!.occurred_at === rows[start]!.occurred_at) end++;
    if (end - start > 1) {
      const group = rows.slice(start, end).sort(byHistory);
      for (let i = 0; i < group.length; i++) rows[start + i] = group[i]!;
    }
    start = end;
  }
}

function eventsJson(rows: readonly EventRow[]): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    parts[i] =
      `[${JSON.stringify(row.id)},${JSON.stringify(row.lead_id)},${JSON.stringify(row.type)},"${row.occurred_at}",${row.properties}]`;
  }
  return `[${parts.join(',')}]`;
}

/**
 * Stored events before `until` in history order (time, then id), about
 * `pageSize` at a time. Events at the last time of a page are held back for
 * the next, so events of equal time are always ordered together.
 */
export async function* eventPages(history: HistoryReader, until: string | null, pageSize: number): AsyncGenerator<Page> {
  let after: HistoryCursor | null = null;
  let held: EventRow[] = [];
  for (;;) {
    const rows = await history.eventPage(after, until, pageSize);
    const lastPage = rows.length < pageSize;
    const newest = rows[rows.length - 1];
    if (newest) after = { occurredAt: newest.occurred_at, id: newest.id };
    const all = held.length > 0 ? held.concat(rows) : rows;
    let cut = all.length;
    if (!lastPage) {
      const lastTime = all[all.length - 1]!.occurred_at;
      while (cut > 0 && all[cut - 1]!.occurred_at === lastTime) cut--;
    }
    const ready = all.slice(0, cut);
    held = all.slice(cut);
    if (ready.length > 0) {
      sortTies(ready);
      yield { json: eventsJson(ready), size: ready.length };
    }
    if (lastPage) return;
  }
}

function leadsJson(leadIds: readonly string[], rows: readonly ResultRow[]): string {
  const byLead = new Map<string, ResultRow[]>(leadIds.map((id) => [id, []]));
  for (const row of rows) byLead.get(row.lead_id)?.push(row);
  const leads: string[] = [];
  for (const [leadId, events] of byLead) {
    events.sort(byHistory);
    const items = events.map(
      (row) =>
        `[${JSON.stringify(row.id)},${JSON.stringify(row.type)},"${row.occurred_at}",${row.properties},${row.explanation ?? 'null'},${row.shadow_explanation ?? 'null'}]`,
    );
    leads.push(`[${JSON.stringify(leadId)},[${items.join(',')}]]`);
  }
  return `[${leads.join(',')}]`;
}

/** The leads the challenger `version` has evaluated, `pageSize` at a time, each with its events' live and shadow results. */
export async function* shadowPages(history: HistoryReader, version: string, pageSize: number): AsyncGenerator<Page> {
  let after: string | null = null;
  for (;;) {
    const leadIds = await history.shadowLeadPage(version, after, pageSize);
    if (leadIds.length === 0) return;
    after = leadIds[leadIds.length - 1]!;
    yield { json: leadsJson(leadIds, await history.leadResults(leadIds, version)), size: leadIds.length };
    if (leadIds.length < pageSize) return;
  }
}
