/**
 * History for a comparison, page by page, as JSON text: the main thread reads
 * pages from the store and hands each to the comparison's worker, which parses
 * a page in one call. Properties and explanations are stored as JSON already,
 * so they are spliced into the page as they are, never parsed here.
 */
import { byCodeUnit } from '../../engine/index';
import { compareHistory } from '../lead-history';
import type { EventRow, EventTupleText, HistoryCursor, HistoryReader, ResultRow } from '../store/index';

export interface Page {
  json: string;
  /** Events (replay) or leads (shadow) in the page. */
  size: number;
}

/** A replay page row: `[occurredAt, id, leadId, type, properties]`. */
export type EventTuple = [string, string, string, string, Record<string, unknown>];
/**
 * A shadow page row: `[leadId, [[id, type, occurredAt, properties, live, shadow explanation], …]]`, events in
 * history order. `live` is the live explanation where one is stored (rows from before explanations were derived),
 * else the name of the version that evaluated the event (the worker derives the explanation, see
 * server/lead-derivation.ts), or null when that version skipped it.
 */
export type LeadTuple = [string, Array<[string, string, string, Record<string, unknown>, unknown, unknown]>];

const byHistory = (a: EventRow, b: EventRow) =>
  compareHistory({ occurredAt: a.occurred_at, id: a.id }, { occurredAt: b.occurred_at, id: b.id });

/** The time of an event tuple: its first element, a string without quotes inside, read without parsing the tuple. */
const timeOf = (tuple: EventTupleText) => tuple.slice(2, tuple.indexOf('"', 2));
/** An event tuple's lead and id (parsed: ids may hold any character). */
function keyOf(tuple: EventTupleText): { leadId: string; id: string } {
  const [, id, leadId] = JSON.parse(tuple) as EventTuple;
  return { leadId, id };
}

/**
 * Puts a lead's events of equal time in id order by code unit, as the
 * server's history order has them (the database orders ids by its own
 * collation). Ties are few, so only their tuples are parsed.
 */
function sortTies(tuples: EventTupleText[], times: readonly string[]): void {
  for (let start = 0; start < tuples.length;) {
    let end = start + 1;
    while (end < tuples.length && times[end] === times[start]) end++;
    if (end - start > 1) {
      const run = tuples.slice(start, end).map((tuple) => ({ tuple, ...keyOf(tuple) }));
      // Leads stay where the database put them; only a lead's own events of this time are reordered.
      const leadOrder = new Map<string, number>();
      for (const item of run) if (!leadOrder.has(item.leadId)) leadOrder.set(item.leadId, leadOrder.size);
      run.sort((a, b) => leadOrder.get(a.leadId)! - leadOrder.get(b.leadId)! || byCodeUnit(a.id, b.id));
      for (let i = 0; i < run.length; i++) tuples[start + i] = run[i]!.tuple;
    }
    start = end;
  }
}

/**
 * Stored events before `until`, lead by lead, each lead's in history order
 * (time, then id), about `pageSize` at a time, each page a JSON array of
 * {@link EventTuple}s. A lead's events are never split between pages (the
 * page's last lead is held back for the next; a lead with more events than a
 * page makes a larger page, read in one pass), so pages can be replayed apart.
 */
export async function* eventPages(history: HistoryReader, until: string | null, pageSize: number): AsyncGenerator<Page> {
  let after: HistoryCursor | null = null;
  /** The events of one lead (`heldLead`), held back for the next page. */
  let held: EventTupleText[] = [];
  let heldLead: string | null = null;
  for (;;) {
    const tuples = await history.eventTuplePage(after, until, pageSize);
    const lastPage = tuples.length < pageSize;
    const newest = tuples[tuples.length - 1];
    const newestKey = newest === undefined ? null : keyOf(newest);
    if (newest !== undefined) after = { leadId: newestKey!.leadId, occurredAt: timeOf(newest), id: newestKey!.id };
    const all = held.length > 0 ? held.concat(tuples) : tuples;
    let cut = all.length;
    if (!lastPage) {
      // Only the new events are read back: the held ones are all of one lead, known already.
      while (cut > held.length && keyOf(all[cut - 1]!).leadId === newestKey!.leadId) cut--;
      if (cut === held.length && heldLead === newestKey!.leadId) cut = 0;
    }
    const ready = all.slice(0, cut);
    held = all.slice(cut);
    heldLead = held.length > 0 ? newestKey!.leadId : null;
    if (ready.length > 0) {
      sortTies(ready, ready.map(timeOf));
      yield { json: `[${ready.join(',')}]`, size: ready.length };
    }
    if (lastPage) return;
  }
}

/** The `live` element of a shadow page's event (see {@link LeadTuple}), as JSON text. */
function liveResult(row: ResultRow): string {
  if (row.explanation !== null) return row.explanation;
  return row.rule_set_version === null ? 'null' : JSON.stringify(row.rule_set_version);
}

function leadsJson(leadIds: readonly string[], rows: readonly ResultRow[]): string {
  const byLead = new Map<string, ResultRow[]>(leadIds.map((id) => [id, []]));
  for (const row of rows) byLead.get(row.lead_id)?.push(row);
  const leads: string[] = [];
  for (const [leadId, events] of byLead) {
    events.sort(byHistory);
    const items = events.map(
      (row) =>
        `[${JSON.stringify(row.id)},${JSON.stringify(row.type)},"${row.occurred_at}",${row.properties},${liveResult(row)},${row.shadow_explanation ?? 'null'}]`,
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
