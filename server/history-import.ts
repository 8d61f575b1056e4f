/**
 * Importing history into the store. The rows of an import file (read by the
 * pure adapters of server/import) become stored events exactly as live events
 * do: the same ingestion path computes each lead's state with the active rule
 * set from its events in time order, records what each event did, outcomes and
 * the challenger's shadow results. Each lead is folded once in memory and
 * written once; the whole file is one transaction, so a failure stores nothing.
 */
import { isKnownEventType, type CompiledRuleSet, type LeadEvent } from '../engine/index';
import type { Activation } from './activation';
import { IMPORT_LEADS_PER_CHUNK } from './config';
import { OUTCOME_BY_EVENT_TYPE } from './feedback';
import { normaliseTime } from './lead-history';
import { DATA_SET_ADAPTERS, leadEvents, readEventCsv, readJsonLines, type ImportRow, type Rejection } from './import/index';
import type { Ingestion } from './ingestion';
import type { OutcomeKind, Store } from './store/index';

export const IMPORT_FORMATS = ['jsonl', 'csv', 'x-education', 'bank-marketing'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The generic format a file's extension names (`.jsonl`, `.ndjson`, `.csv`); data-set formats are always named with --format. */
export function formatOfFile(file: string): ImportFormat | undefined {
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  if (/\.csv$/i.test(file)) return 'csv';
  return undefined;
}

/** A file that cannot be imported at all (unreadable header, no importable row): nothing of it is stored. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** Rows of an import file, each as the events it holds. */
function rowsOf(text: string, format: ImportFormat): Iterable<ImportRow<LeadEvent[]>> {
  if (format === 'jsonl') return mapRows(readJsonLines(text), (event) => [event]);
  if (format === 'csv') return mapRows(readEventCsv(text), (event) => [event]);
  return mapRows(DATA_SET_ADAPTERS[format](text), leadEvents);
}

function* mapRows<T>(rows: Iterable<ImportRow<T>>, events: (value: T) => LeadEvent[]): Generator<ImportRow<LeadEvent[]>> {
  for (const row of rows) yield row.ok ? { ok: true, line: row.line, value: events(row.value) } : row;
}

/** Why a row's events cannot be stored under the rule set: the event types it does not know. */
function unknownTypes(events: readonly LeadEvent[], ruleSet: CompiledRuleSet): string | null {
  const unknown = [...new Set(events.filter((event) => !isKnownEventType(ruleSet, event.type)).map((event) => event.type))];
  if (unknown.length === 0) return null;
  const names = unknown.map((type) => `"${type}"`).join(', ');
  return `type: unknown event type${unknown.length > 1 ? 's' : ''} ${names} (not in the active rule set ${ruleSet.version} and not a system event type)`;
}

export interface ParsedImport {
  rowsRead: number;
  /** Events of the accepted rows, in file order. */
  events: LeadEvent[];
  /** Rows not imported, in file order, with why. */
  rejected: Rejection[];
}

/**
 * Reads an import file: every row's events, checked against the active rule
 * set (a row with an event type it does not know is rejected with the reason).
 * Throws an {@link ImportFileError} when the file cannot be imported at all:
 * a CSV header the format does not accept, no rows, or no row accepted.
 */
export function readImport(text: string, format: ImportFormat, ruleSet: CompiledRuleSet, onRow?: (rowsRead: number) => void): ParsedImport {
  const parsed: ParsedImport = { rowsRead: 0, events: [], rejected: [] };
  for (const row of rowsOf(text, format)) {
    if (!row.ok && row.line === 1 && format !== 'jsonl') throw new ImportFileError(`line 1: ${row.reason}`);
    parsed.rowsRead++;
    onRow?.(parsed.rowsRead);
    const reason = row.ok ? unknownTypes(row.value, ruleSet) : row.reason;
    if (reason !== null) parsed.rejected.push({ line: row.line, reason });
    else if (row.ok) parsed.events.push(...row.value);
  }
  if (parsed.rowsRead === 0) throw new ImportFileError('no rows to import');
  if (parsed.events.length === 0) {
    const first = parsed.rejected[0]!;
    throw new ImportFileError(`no row can be imported: all ${parsed.rowsRead} rejected (first: line ${first.line}: ${first.reason})`);
  }
  return parsed;
}

export interface StoredHistory {
  eventsStored: number;
  /** Events whose id was already stored (or appeared earlier in the same import): skipped, nothing changed. */
  duplicates: number;
  /** Leads that received new events: created by this import, or already stored and updated. */
  leads: { created: number; updated: number };
  /** Outcome rows recorded, by kind. */
  outcomes: Partial<Record<OutcomeKind, number>>;
  ruleSetVersion: string;
}

export interface StoreHistoryOptions {
  /** Kept with each outcome as who recorded it. */
  recordedBy: string;
  /** Leads per ingestion step inside the transaction (all events of a lead go in the same step). */
  leadsPerChunk?: number;
  onProgress?: (leadsDone: number, leadsTotal: number) => void;
}

/**
 * Stores events as history, in one transaction: grouped by lead, each lead's
 * new events are folded in time order (after its stored ones) and the lead is
 * written once. An event id already stored is a duplicate and changes
 * nothing, so importing the same events again changes nothing.
 */
export async function storeHistory(
  services: { store: Store; ingestion: Ingestion },
  events: readonly LeadEvent[],
  options: StoreHistoryOptions,
): Promise<StoredHistory> {
  const byLead = new Map<string, LeadEvent[]>();
  for (const given of events) {
    // Stored times are UTC in one spelling, so text order is time order (readers of history rely on it).
    const event = { ...given, occurredAt: normaliseTime(given.occurredAt) };
    const list = byLead.get(event.leadId);
    if (list) list.push(event);
    else byLead.set(event.leadId, [event]);
  }
  const leadIds = [...byLead.keys()];
  const perChunk = options.leadsPerChunk ?? IMPORT_LEADS_PER_CHUNK;
  const summary: StoredHistory = { eventsStored: 0, duplicates: 0, leads: { created: 0, updated: 0 }, outcomes: {}, ruleSetVersion: '' };
  await services.store.transaction(async (queries) => {
    for (let start = 0; start < leadIds.length; start += perChunk) {
      const chunk = leadIds.slice(start, start + perChunk);
      const existing = await queries.existingLeadIds(chunk);
      const submissions = chunk.flatMap((leadId) => byLead.get(leadId)!.map((event) => ({ event, recordedBy: options.recordedBy })));
      const result = await services.ingestion.ingestWithin(queries, submissions);
      summary.ruleSetVersion = result.ruleSetVersion;
      result.events.forEach((ingested, i) => {
        if (ingested.status !== 'stored') {
          summary.duplicates++;
          return;
        }
        summary.eventsStored++;
        const kind = OUTCOME_BY_EVENT_TYPE[submissions[i]!.event.type];
        if (kind) summary.outcomes[kind] = (summary.outcomes[kind] ?? 0) + 1;
      });
      for (const leadId of result.leads.keys()) summary.leads[existing.has(leadId) ? 'updated' : 'created']++;
      options.onProgress?.(Math.min(start + perChunk, leadIds.length), leadIds.length);
    }
  });
  return summary;
}

export interface ImportSummary extends StoredHistory {
  format: ImportFormat;
  rowsRead: number;
  rejected: Rejection[];
}

export interface ImportOptions extends StoreHistoryOptions {
  onRow?: (rowsRead: number) => void;
  /** Called once the file is read, before anything is stored; throwing here stores nothing. */
  onRead?: (parsed: ParsedImport) => void;
}

/** Reads an import file and stores its accepted rows as history: {@link readImport}, then {@link storeHistory}. */
export async function importHistory(
  services: { store: Store; ingestion: Ingestion; activation: Activation },
  text: string,
  format: ImportFormat,
  options: ImportOptions,
): Promise<ImportSummary> {
  const parsed = readImport(text, format, services.activation.active, options.onRow);
  options.onRead?.(parsed);
  const stored = await storeHistory(services, parsed.events, options);
  return { format, rowsRead: parsed.rowsRead, rejected: parsed.rejected, ...stored };
}
