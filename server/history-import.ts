/**
 * Importing history into the store. The rows of an import file (read by the
 * pure adapters of server/import) become stored events exactly as live events
 * do: the same ingestion path computes each lead's state with the active rule
 * set from its events in time order, records what each event did, outcomes and
 * the challenger's shadow results. Each lead is folded once and written once;
 * the whole file is one transaction, so a failure stores nothing.
 *
 * A file is read as a stream: its accepted events go, batch by batch, into
 * staging tables of that transaction (see store/import-staging.ts), which are
 * then read back a chunk of leads at a time, every event of a lead together.
 * Memory holds one read chunk and one chunk of leads, whatever the file size.
 */
import { createReadStream, statSync } from 'node:fs';
import { isKnownEventType, type CompiledRuleSet, type LeadEvent } from '../engine/index';
import type { Activation } from './activation';
import {
  IMPORT_FILE_LEADS_PER_CHUNK,
  IMPORT_LEADS_PER_CHUNK,
  IMPORT_MAX_KEPT_REJECTIONS,
  IMPORT_MAX_RECORD_CHARS,
  IMPORT_READ_CHUNK_BYTES,
} from './config';
import { OUTCOME_BY_EVENT_TYPE } from './feedback';
import { normaliseTime } from './lead-history';
import { readImportStream, type Rejection } from './import/index';
import type { Ingestion } from './ingestion';
import { ImportStaging, checkpointAfterImport, type OutcomeKind, type Queries, type Store } from './store/index';

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

/** Why a row's events cannot be stored under the rule set: the event types it does not know. */
function unknownTypes(events: readonly LeadEvent[], ruleSet: CompiledRuleSet): string | null {
  const unknown = [...new Set(events.filter((event) => !isKnownEventType(ruleSet, event.type)).map((event) => event.type))];
  if (unknown.length === 0) return null;
  const names = unknown.map((type) => `"${type}"`).join(', ');
  return `type: unknown event type${unknown.length > 1 ? 's' : ''} ${names} (not in the active rule set ${ruleSet.version} and not a system event type)`;
}

/** What reading an import file found, before anything is stored. */
export interface ImportRead {
  rowsRead: number;
  /** Events of the accepted rows. */
  eventsRead: number;
  /** Rows not imported, in file order, with why: the first {@link IMPORT_MAX_KEPT_REJECTIONS}. */
  rejected: Rejection[];
  /** Rows not imported, all of them. */
  rejectedRows: number;
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

/** Ingests one chunk of leads (every new event of each) inside the import's transaction, adding what it did to `summary`. */
async function storeChunk(
  queries: Queries,
  ingestion: Ingestion,
  byLead: ReadonlyMap<string, readonly LeadEvent[]>,
  recordedBy: string,
  summary: StoredHistory,
): Promise<void> {
  const leadIds = [...byLead.keys()];
  const existing = await queries.existingLeadIds(leadIds);
  const submissions = leadIds.flatMap((leadId) => byLead.get(leadId)!.map((event) => ({ event, recordedBy })));
  const result = await ingestion.ingestWithin(queries, submissions);
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
}

const emptySummary = (): StoredHistory => ({
  eventsStored: 0,
  duplicates: 0,
  leads: { created: 0, updated: 0 },
  outcomes: {},
  ruleSetVersion: '',
});

// Stored times are UTC in one spelling, so text order is time order (readers of history rely on it).
const normalised = (event: LeadEvent): LeadEvent => ({ ...event, occurredAt: normaliseTime(event.occurredAt) });

/**
 * Stores events held in memory as history, in one transaction: grouped by
 * lead, each lead's new events are folded in time order (after its stored
 * ones) and the lead is written once. An event id already stored is a
 * duplicate and changes nothing, so importing the same events again changes
 * nothing. Files go through {@link importHistory}, which does not hold them.
 */
export async function storeHistory(
  services: { store: Store; ingestion: Ingestion },
  events: readonly LeadEvent[],
  options: StoreHistoryOptions,
): Promise<StoredHistory> {
  const byLead = new Map<string, LeadEvent[]>();
  for (const given of events) {
    const event = normalised(given);
    const list = byLead.get(event.leadId);
    if (list) list.push(event);
    else byLead.set(event.leadId, [event]);
  }
  const leadIds = [...byLead.keys()];
  const perChunk = options.leadsPerChunk ?? IMPORT_LEADS_PER_CHUNK;
  const summary = emptySummary();
  await services.store.transaction(async (queries) => {
    for (let start = 0; start < leadIds.length; start += perChunk) {
      const chunk = new Map(leadIds.slice(start, start + perChunk).map((leadId) => [leadId, byLead.get(leadId)!]));
      await storeChunk(queries, services.ingestion, chunk, options.recordedBy, summary);
      options.onProgress?.(Math.min(start + perChunk, leadIds.length), leadIds.length);
    }
  });
  return summary;
}

export interface ImportSummary extends StoredHistory {
  format: ImportFormat;
  rowsRead: number;
  /** Rows not imported, in file order, with why: the first {@link IMPORT_MAX_KEPT_REJECTIONS}. */
  rejected: Rejection[];
  /** Rows not imported, all of them. */
  rejectedRows: number;
}

export interface ImportOptions extends StoreHistoryOptions {
  /** Rows read so far, after each batch of rows. */
  onRow?: (rowsRead: number) => void;
  /** Bytes of the file read so far, after each chunk read, and the file's size when known. */
  onBytes?: (bytesRead: number, bytesTotal: number | undefined) => void;
  /** Called once the file is read, before any lead is stored; throwing here stores nothing. */
  onRead?: (read: ImportRead) => void;
}

/** An import file's content: chunks of bytes (or text) as they are read, and its size in bytes when known. */
export interface ImportSource {
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  bytes?: number;
}

/** Decodes UTF-8 chunks to text, counting the bytes read (a byte-order mark is kept as text, as a whole-file read keeps it). */
async function* textOf(source: ImportSource, onBytes: ImportOptions['onBytes']): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let bytesRead = 0;
  for await (const chunk of source.chunks) {
    bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    onBytes?.(bytesRead, source.bytes);
    yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Reads the file into the staging tables: every accepted row's events, checked against the active rule set. */
async function stageFile(
  staging: ImportStaging,
  source: ImportSource,
  format: ImportFormat,
  ruleSet: CompiledRuleSet,
  options: ImportOptions,
): Promise<ImportRead> {
  const read: ImportRead = { rowsRead: 0, eventsRead: 0, rejected: [], rejectedRows: 0 };
  for await (const rows of readImportStream(textOf(source, options.onBytes), format, IMPORT_MAX_RECORD_CHARS)) {
    const accepted: LeadEvent[] = [];
    for (const row of rows) {
      if (!row.ok && row.line === 1 && format !== 'jsonl') throw new ImportFileError(`line 1: ${row.reason}`);
      read.rowsRead++;
      const reason = row.ok ? unknownTypes(row.value, ruleSet) : row.reason;
      if (reason !== null) {
        // Rejections are kept in memory: a file of nothing but bad rows must not fill it.
        if (read.rejectedRows++ < IMPORT_MAX_KEPT_REJECTIONS) read.rejected.push({ line: row.line, reason });
      } else if (row.ok) for (const event of row.value) accepted.push(normalised(event));
    }
    read.eventsRead += accepted.length;
    await staging.stage(accepted);
    if (rows.length > 0) options.onRow?.(read.rowsRead);
  }
  if (read.rowsRead === 0) throw new ImportFileError('no rows to import');
  if (read.eventsRead === 0) {
    const first = read.rejected[0]!;
    throw new ImportFileError(`no row can be imported: all ${read.rowsRead} rejected (first: line ${first.line}: ${first.reason})`);
  }
  return read;
}

/**
 * Reads an import file and stores its accepted rows as history, in one
 * transaction: a row with an event type the active rule set does not know is
 * rejected with the reason; a file that cannot be imported at all (a CSV
 * header the format does not accept, no rows, no row accepted) throws an
 * {@link ImportFileError} and stores nothing. The file is given whole (text)
 * or as a stream of chunks ({@link ImportSource}), read once, in order.
 */
export async function importHistory(
  services: { store: Store; ingestion: Ingestion; activation: Activation },
  file: string | ImportSource,
  format: ImportFormat,
  options: ImportOptions,
): Promise<ImportSummary> {
  const source = typeof file === 'string' ? { chunks: [file], bytes: Buffer.byteLength(file) } : file;
  const perChunk = options.leadsPerChunk ?? IMPORT_FILE_LEADS_PER_CHUNK;
  const { store } = services;
  const summary = await store.transaction(async (queries) => {
    const staging = await ImportStaging.open(queries.db, store.dialect);
    const read = await stageFile(staging, source, format, services.activation.active, options);
    options.onRead?.(read);
    const stored = emptySummary();
    const leadsTotal = await staging.leadCount();
    let leadsDone = 0;
    for await (const chunk of staging.leadChunks(perChunk)) {
      await storeChunk(queries, services.ingestion, chunk, options.recordedBy, stored);
      leadsDone += chunk.size;
      options.onProgress?.(leadsDone, leadsTotal);
    }
    await staging.drop();
    return { format, rowsRead: read.rowsRead, rejected: read.rejected, rejectedRows: read.rejectedRows, ...stored };
  });
  await checkpointAfterImport(store.read.db, store.dialect);
  return summary;
}

/** {@link importHistory} of a file on disk, read in chunks of {@link IMPORT_READ_CHUNK_BYTES}. */
export function importFile(
  services: { store: Store; ingestion: Ingestion; activation: Activation },
  path: string,
  format: ImportFormat,
  options: ImportOptions,
): Promise<ImportSummary> {
  const bytes = statSync(path).size;
  return importHistory(services, { chunks: createReadStream(path, { highWaterMark: IMPORT_READ_CHUNK_BYTES }), bytes }, format, options);
}
