/**
 * The import format (docs/import.md): one lead event per JSON Lines line or
 * CSV row, in the engine's event shape. Lead attributes are lead_updated
 * events; hand-off feedback and deal outcomes are the engine's system events.
 * Also the shapes every import shares: rows accepted or rejected with their
 * line, and leads as the data-set adapters build them.
 */
import { SYSTEM_EVENT_TYPES, leadEventSchema, type LeadEvent } from '../../engine/index';
import { eventLimitProblems } from '../limits';
import { readCsv, type CsvRow } from './csv';

/** A row that cannot be imported, and why. */
export interface Rejection {
  line: number;
  reason: string;
}

/** One row of an import file: its value, or why it was rejected. */
export type ImportRow<T> = { ok: true; line: number; value: T } | ({ ok: false } & Rejection);

/** One lead as a data-set adapter reads it from one row. */
export interface ImportedLead {
  leadId: string;
  /** What is known of the lead from its first touch, as one lead_updated event at that time. */
  attributes: LeadEvent;
  /** Activities, in time order. */
  events: LeadEvent[];
  /** Sales feedback and the deal outcome, in time order: ground truth, never scoring input. */
  outcomes: LeadEvent[];
  /** The source's own conversion label, exactly as written. */
  label: { column: string; value: string };
}

export interface ImportResult<T> {
  rowsRead: number;
  values: T[];
  rejected: Rejection[];
}

/** Gathers the rows of an import into accepted values and rejections. */
export function collect<T>(rows: Iterable<ImportRow<T>>): ImportResult<T> {
  const result: ImportResult<T> = { rowsRead: 0, values: [], rejected: [] };
  for (const row of rows) {
    result.rowsRead++;
    if (row.ok) result.values.push(row.value);
    else result.rejected.push({ line: row.line, reason: row.reason });
  }
  return result;
}

/** Sorts events by time (a copy); events at the same time keep their order. */
export function sortByTime(events: readonly LeadEvent[]): LeadEvent[] {
  const keyed = events.map((event) => ({ event, time: Date.parse(event.occurredAt) }));
  keyed.sort((a, b) => a.time - b.time);
  return keyed.map(({ event }) => event);
}

/** One lead's events in time order: attributes, activities, then feedback and outcome. */
export function leadEvents(lead: ImportedLead): LeadEvent[] {
  return sortByTime([lead.attributes, ...lead.events, ...lead.outcomes]);
}

/** Every event of the given leads as one time-ordered history, ready for replay or storage. */
export function historyOf(leads: Iterable<ImportedLead>): LeadEvent[] {
  const events: LeadEvent[] = [];
  for (const lead of leads) events.push(lead.attributes, ...lead.events, ...lead.outcomes);
  return sortByTime(events);
}

export interface RecordOptions {
  /** Activity types accepted besides the system types; when absent, any well-formed type name is accepted. */
  activityTypes?: ReadonlySet<string>;
}

const SYSTEM_TYPES: ReadonlySet<string> = new Set(SYSTEM_EVENT_TYPES);
const TYPE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

function propertyProblem(event: LeadEvent): string | null {
  const { type, properties } = event;
  const amount = properties['amount'];
  const reason = properties['reason'];
  if (
    (type === 'deal_won' || type === 'deal_lost') &&
    amount !== undefined &&
    !(typeof amount === 'number' && Number.isFinite(amount) && amount >= 0)
  ) {
    return `properties.amount: a deal amount must be a number ≥ 0, got ${JSON.stringify(amount)}`;
  }
  if (
    (type === 'sales_rejected' || type === 'deal_lost' || type === 'disqualified') &&
    reason !== undefined &&
    !(typeof reason === 'string' && reason)
  ) {
    return `properties.reason: must be a non-empty string, got ${JSON.stringify(reason)}`;
  }
  if (type === 'lead_updated' && Object.keys(properties).length === 0)
    return 'properties: a lead_updated record needs at least one attribute';
  return null;
}

/**
 * Checks one import record against the format: the engine's event schema, a
 * real instant (normalised to UTC, so text order is time order), a known
 * type, and the properties system events read.
 */
export function checkRecord(value: unknown, options: RecordOptions = {}): { ok: true; event: LeadEvent } | { ok: false; reason: string } {
  const parsed = leadEventSchema.safeParse(value);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`).join('; ');
    return { ok: false, reason };
  }
  const event = parsed.data;
  const time = Date.parse(event.occurredAt);
  if (Number.isNaN(time)) return { ok: false, reason: `occurredAt: not a real time: "${event.occurredAt}"` };
  // The API's limits: a record that passes can be stored as given and orders by its time.
  const limits = eventLimitProblems(event, time, (field) => field);
  if (limits.length > 0) return { ok: false, reason: limits.map((e) => `${e.path}: ${e.message}`).join('; ') };
  if (!SYSTEM_TYPES.has(event.type)) {
    if (!TYPE_NAME.test(event.type)) return { ok: false, reason: `type: "${event.type}" is not a valid event type name` };
    if (options.activityTypes && !options.activityTypes.has(event.type))
      return { ok: false, reason: `type: unknown event type "${event.type}"` };
  }
  const problem = propertyProblem(event);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, event: { ...event, occurredAt: new Date(time).toISOString() } };
}

/** Reads one line of a JSON Lines import (its number, its text): the event, a rejection, or null for a blank line. */
export function readJsonLine(line: number, text: string, options: RecordOptions = {}): ImportRow<LeadEvent> | null {
  const source = text.trim();
  if (!source) return null;
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    return { ok: false, line, reason: `invalid JSON: ${(error as Error).message}` };
  }
  const checked = checkRecord(value, options);
  return checked.ok ? { ok: true, line, value: checked.event } : { ok: false, line, reason: checked.reason };
}

/** Reads a JSON Lines import: one JSON object per line; blank lines are skipped. */
export function* readJsonLines(text: string, options: RecordOptions = {}): Generator<ImportRow<LeadEvent>> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const row = readJsonLine(i + 1, lines[i]!, options);
    if (row) yield row;
  }
}

/**
 * How one kind of CSV file is read: its delimiter, and its header, which
 * either rejects the file (line 1) or gives the reader of its data rows.
 */
export interface CsvFormat<T> {
  delimiter: string;
  header(row: CsvRow): { rejected: ImportRow<T> & { ok: false } } | { read: (row: CsvRow) => ImportRow<T> };
}

/**
 * The rows of a CSV file, given one at a time (the header first): a reader
 * keeps what a format carries from row to row (duplicate ids, a calendar),
 * so the file can be read in pieces. A rejected header stops it.
 */
export class CsvRowReader<T> {
  private read: ((row: CsvRow) => ImportRow<T>) | null = null;
  /** Whether the header rejected the file: no further row is read. */
  stopped = false;

  constructor(private readonly format: CsvFormat<T>) {}

  /** The row's value or rejection; null for the header when it is accepted, and for every row after a rejected one. */
  next(row: CsvRow): ImportRow<T> | null {
    if (this.stopped) return null;
    if (this.read) return this.read(row);
    const header = this.format.header(row);
    if ('read' in header) {
      this.read = header.read;
      return null;
    }
    this.stopped = true;
    return header.rejected;
  }
}

/** Every row of a CSV text read with one format. */
export function* readCsvText<T>(text: string, format: CsvFormat<T>): Generator<ImportRow<T>> {
  const reader = new CsvRowReader(format);
  for (const row of readCsv(text, format.delimiter)) {
    const read = reader.next(row);
    if (read) yield read;
    if (reader.stopped) return;
  }
}

const REQUIRED_COLUMNS = ['id', 'leadId', 'type', 'occurredAt'] as const;
const PROPERTY_PREFIX = 'properties.';

/** A CSV cell: empty is absent; valid JSON (a number, true, false, null, "quoted text", an object or array) is that value; anything else is text. */
function cellValue(cell: string): unknown {
  if (cell === '') return undefined;
  try {
    return JSON.parse(cell);
  } catch {
    return cell; // not JSON: plain text, as documented
  }
}

/** Reads the generic CSV format with the given options. */
export function eventCsvFormat(options: RecordOptions = {}): CsvFormat<LeadEvent> {
  return {
    delimiter: ',',
    header: (header) => {
      if (!header.ok) return { rejected: header };
      const columns = header.fields.map((name) => name.trim());
      const problems = [
        ...REQUIRED_COLUMNS.filter((name) => !columns.includes(name)).map((name) => `missing column "${name}"`),
        ...columns
          .filter(
            (name) =>
              !(REQUIRED_COLUMNS as readonly string[]).includes(name) &&
              name !== 'properties' &&
              !(name.startsWith(PROPERTY_PREFIX) && name.length > PROPERTY_PREFIX.length),
          )
          .map((name) => `unknown column "${name}" (property columns are named "properties.<name>")`),
      ];
      if (problems.length > 0) return { rejected: { ok: false, line: header.line, reason: `header: ${problems.join('; ')}` } };
      return { read: (row) => eventOfRow(row, columns, options) };
    },
  };
}

function eventOfRow(row: CsvRow, columns: readonly string[], options: RecordOptions): ImportRow<LeadEvent> {
  if (!row.ok) return row;
  if (row.fields.length !== columns.length)
    return { ok: false, line: row.line, reason: `expected ${columns.length} fields, found ${row.fields.length}` };
  const record: Record<string, unknown> = {};
  let fromJson: Record<string, unknown> = {};
  const named = new Map<string, unknown>(); // a Map, so a column named properties.__proto__ is data like any other
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i]!;
    const cell = row.fields[i]!;
    if (name === 'properties') {
      const value = cellValue(cell);
      if (value === undefined) continue;
      if (value && typeof value === 'object' && !Array.isArray(value)) fromJson = value as Record<string, unknown>;
      else return { ok: false, line: row.line, reason: 'properties: must be a JSON object' };
    } else if (name.startsWith(PROPERTY_PREFIX)) {
      const value = cellValue(cell);
      if (value !== undefined) named.set(name.slice(PROPERTY_PREFIX.length), value);
    } else {
      record[name] = cell;
    }
  }
  // A property column overrides the same key in the properties object.
  const properties = { ...fromJson, ...Object.fromEntries(named) };
  const checked = checkRecord({ ...record, properties }, options);
  return checked.ok ? { ok: true, line: row.line, value: checked.event } : { ok: false, line: row.line, reason: checked.reason };
}

/**
 * Reads a CSV import: a header naming id, leadId, type, occurredAt and any of
 * `properties` (a JSON object) and `properties.<name>` (one property each).
 * A header problem rejects line 1 and stops: no row of the file is read.
 */
export function readEventCsv(text: string, options: RecordOptions = {}): Generator<ImportRow<LeadEvent>> {
  return readCsvText(text, eventCsvFormat(options));
}
