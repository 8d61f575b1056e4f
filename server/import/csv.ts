/**
 * CSV rows with the line each starts on, for imports that reject rows by line
 * number. Fields are split by csv-parse; record boundaries are found here, so a
 * quoted line break or one malformed row never shifts the numbering of the
 * rows after it (csv-parse counts a CRLF inside quotes as two lines and cannot
 * resume after a malformed quote).
 */
import { parse } from 'csv-parse/sync';

export type CsvRow = { ok: true; line: number; fields: string[] } | { ok: false; line: number; reason: string };

interface RawRecord {
  line: number;
  /** The record's text, or null when it was longer than the limit and dropped. */
  text: string | null;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

/**
 * Splits CSV text, given in chunks of any size, into records: a line feed
 * ends a record unless inside double quotes. Empty lines are skipped; a CR
 * before the LF is dropped. A record longer than `maxChars` is not kept (an
 * unclosed quote would otherwise gather the rest of the file into memory):
 * it is returned with its line and no text.
 */
export class CsvRecordSplitter {
  private line = 1;
  private startLine = 1;
  private quoted = false;
  private pending = '';
  private oversized = false;
  private first = true;

  constructor(private readonly maxChars: number) {}

  /** The records that end in this chunk (a chunk may end mid-record: its rest waits for the next). */
  push(chunk: string): RawRecord[] {
    let text = chunk;
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    const records: RawRecord[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === QUOTE) this.quoted = !this.quoted;
      else if (code === LF) {
        if (!this.quoted) {
          this.close(text, start, i, records);
          start = i + 1;
          this.startLine = this.line + 1;
        }
        this.line++;
      }
    }
    this.keep(text, start, text.length);
    return records;
  }

  /** The last record, when the text does not end with a line feed. */
  end(): RawRecord[] {
    const records: RawRecord[] = [];
    this.close('', 0, 0, records);
    return records;
  }

  private keep(text: string, start: number, end: number): void {
    if (this.oversized || end <= start) return;
    if (this.pending.length + (end - start) > this.maxChars) {
      this.oversized = true;
      this.pending = '';
    } else this.pending += text.slice(start, end);
  }

  private close(text: string, start: number, end: number, records: RawRecord[]): void {
    this.keep(text, start, end);
    if (this.oversized) records.push({ line: this.startLine, text: null });
    else {
      const record = this.pending.charCodeAt(this.pending.length - 1) === CR ? this.pending.slice(0, -1) : this.pending;
      if (record.length > 0) records.push({ line: this.startLine, text: record });
    }
    this.pending = '';
    this.oversized = false;
  }
}

function parseRecord(record: RawRecord, delimiter: string, maxChars: number): CsvRow {
  if (record.text === null)
    return { ok: false, line: record.line, reason: `record longer than ${maxChars} characters (is a quote left open?)` };
  try {
    const [fields] = parse(record.text, { delimiter, relax_column_count: true }) as string[][];
    return { ok: true, line: record.line, fields: fields ?? [] };
  } catch (error) {
    // csv-parse numbers lines within the record it was given; the row's own line is reported instead.
    const message = (error as Error).message.replace(/ at line \d+/g, '');
    return { ok: false, line: record.line, reason: `malformed CSV: ${message}` };
  }
}

/**
 * Parses records into rows. A record csv-parse cannot read is returned as a
 * rejection with its line and the parser's reason; the others are unaffected.
 */
export function parseRecords(records: readonly RawRecord[], delimiter: string, maxChars = Infinity): CsvRow[] {
  if (records.every((record) => record.text !== null)) {
    try {
      // One pass over all records is several times faster than one parse per record; it is used when it agrees with the split.
      const all = parse(records.map((record) => record.text).join('\n'), {
        delimiter,
        relax_column_count: true,
        skip_empty_lines: true,
      }) as string[][];
      if (all.length === records.length) return records.map((record, i) => ({ ok: true, line: record.line, fields: all[i]! }));
    } catch {
      // A malformed record stops csv-parse for the whole text: parse record by record so only that record is rejected.
    }
  }
  return records.map((record) => parseRecord(record, delimiter, maxChars));
}

/**
 * Every non-empty record of a CSV text, in order, with the line it starts on
 * (1 is the header). A record csv-parse cannot read is returned as a
 * rejection with its line and the parser's reason; the others are unaffected.
 */
export function readCsv(text: string, delimiter: string): CsvRow[] {
  const splitter = new CsvRecordSplitter(Infinity);
  return parseRecords([...splitter.push(text), ...splitter.end()], delimiter);
}

/**
 * Reads a data set's header row: the index of each column by name and the
 * number of fields every row must have, or the row that rejects the file (the header itself unreadable, or columns missing).
 */
export function readHeader(
  header: CsvRow,
  columns: readonly string[],
): { index: Map<string, number>; width: number } | { rejected: CsvRow & { ok: false } } {
  if (!header.ok) return { rejected: header };
  const index = new Map(header.fields.map((name, i) => [name.trim(), i]));
  const missing = columns.filter((column) => !index.has(column));
  if (missing.length === 0) return { index, width: header.fields.length };
  const names = missing.map((c) => `"${c}"`).join(', ');
  return { rejected: { ok: false, line: header.line, reason: `header: missing column${missing.length > 1 ? 's' : ''} ${names}` } };
}
