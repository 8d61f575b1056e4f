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
  text: string;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

/** Splits text into records: a line feed ends a record unless inside double quotes. Empty lines are skipped; a CR before the LF is dropped. */
function splitRecords(text: string): RawRecord[] {
  const records: RawRecord[] = [];
  let line = 1;
  let start = 0;
  let startLine = 1;
  let quoted = false;
  const close = (end: number) => {
    const stop = end > start && text.charCodeAt(end - 1) === CR ? end - 1 : end;
    if (stop > start) records.push({ line: startLine, text: text.slice(start, stop) });
  };
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) quoted = !quoted;
    else if (code === LF) {
      if (!quoted) {
        close(i);
        start = i + 1;
        startLine = line + 1;
      }
      line++;
    }
  }
  close(text.length);
  return records;
}

function parseRecord(record: RawRecord, delimiter: string): CsvRow {
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
 * Every non-empty record of a CSV text, in order, with the line it starts on
 * (1 is the header). A record csv-parse cannot read is returned as a
 * rejection with its line and the parser's reason; the others are unaffected.
 */
export function readCsv(text: string, delimiter: string): CsvRow[] {
  const body = text.charCodeAt(0) === BOM ? text.slice(1) : text;
  const records = splitRecords(body);
  try {
    // One pass over the whole text is several times faster than one parse per record; it is used when it agrees with the split.
    const all = parse(body, { delimiter, relax_column_count: true, skip_empty_lines: true }) as string[][];
    if (all.length === records.length) return records.map((record, i) => ({ ok: true, line: record.line, fields: all[i]! }));
  } catch {
    // A malformed record stops csv-parse for the whole text: parse record by record so only that record is rejected.
  }
  return records.map((record) => parseRecord(record, delimiter));
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
