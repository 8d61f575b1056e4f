/**
 * Reading an import file in pieces: text arrives in chunks of any size and
 * leaves as batches of rows, each with the events it holds, so a file of any
 * size is read in the memory of one chunk and one record. Rows, lines and
 * rejections are exactly those of the readers of whole texts.
 */
import type { LeadEvent } from '../../engine/index';
import { bankMarketingFormat } from './bank-marketing';
import { CsvRecordSplitter, parseRecords } from './csv';
import { CsvRowReader, eventCsvFormat, leadEvents, readJsonLine, type CsvFormat, type ImportRow } from './format';
import { xEducationFormat } from './x-education';

export type StreamFormat = 'jsonl' | 'csv' | 'x-education' | 'bank-marketing';

/** The CSV formats by name, each giving what one row holds as events. */
const CSV_FORMATS: Record<Exclude<StreamFormat, 'jsonl'>, () => CsvFormat<LeadEvent[]>> = {
  csv: () => eventsOf(eventCsvFormat(), (event) => [event]),
  'x-education': () => eventsOf(xEducationFormat(), leadEvents),
  'bank-marketing': () => eventsOf(bankMarketingFormat(), leadEvents),
};

function eventsOf<T>(format: CsvFormat<T>, events: (value: T) => LeadEvent[]): CsvFormat<LeadEvent[]> {
  return {
    delimiter: format.delimiter,
    header: (row) => {
      const header = format.header(row);
      if ('rejected' in header) return header;
      return {
        read: (data) => {
          const read = header.read(data);
          return read.ok ? { ok: true, line: read.line, value: events(read.value) } : read;
        },
      };
    },
  };
}

/** A rejected record too long to hold: why, and what to do when a JSON array was given as JSON Lines. */
export function oversizedLine(maxChars: number): string {
  return (
    `line longer than ${maxChars} characters: JSON Lines holds one event per line ` +
    `(a JSON array is not read; convert it with: jq -c '.[]' file.json > file.jsonl)`
  );
}

/** Splits text, given in chunks, into numbered lines; a line longer than `maxChars` is returned without its text. */
class LineSplitter {
  private line = 1;
  private pending = '';
  private oversized = false;

  constructor(private readonly maxChars: number) {}

  push(chunk: string): Array<{ line: number; text: string | null }> {
    const lines: Array<{ line: number; text: string | null }> = [];
    let start = 0;
    for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', start)) {
      this.keep(chunk, start, at);
      lines.push({ line: this.line++, text: this.oversized ? null : this.pending });
      this.pending = '';
      this.oversized = false;
      start = at + 1;
    }
    this.keep(chunk, start, chunk.length);
    return lines;
  }

  end(): Array<{ line: number; text: string | null }> {
    return this.oversized || this.pending ? [{ line: this.line, text: this.oversized ? null : this.pending }] : [];
  }

  private keep(chunk: string, start: number, end: number): void {
    if (this.oversized || end <= start) return;
    if (this.pending.length + (end - start) > this.maxChars) {
      this.oversized = true;
      this.pending = '';
    } else this.pending += chunk.slice(start, end);
  }
}

async function* jsonLineRows(chunks: AsyncIterable<string>, maxChars: number): AsyncGenerator<ImportRow<LeadEvent[]>[]> {
  const splitter = new LineSplitter(maxChars);
  const rowsOf = (lines: Array<{ line: number; text: string | null }>) => {
    const rows: ImportRow<LeadEvent[]>[] = [];
    for (const { line, text } of lines) {
      if (text === null) {
        rows.push({ ok: false, line, reason: oversizedLine(maxChars) });
        continue;
      }
      const row = readJsonLine(line, text);
      if (row) rows.push(row.ok ? { ok: true, line, value: [row.value] } : row);
    }
    return rows;
  };
  for await (const chunk of chunks) yield rowsOf(splitter.push(chunk));
  yield rowsOf(splitter.end());
}

async function* csvRows(
  chunks: AsyncIterable<string>,
  format: CsvFormat<LeadEvent[]>,
  maxChars: number,
): AsyncGenerator<ImportRow<LeadEvent[]>[]> {
  const splitter = new CsvRecordSplitter(maxChars);
  const reader = new CsvRowReader(format);
  const rowsOf = (records: ReturnType<CsvRecordSplitter['push']>) => {
    const rows: ImportRow<LeadEvent[]>[] = [];
    for (const record of parseRecords(records, format.delimiter, maxChars)) {
      const row = reader.next(record);
      if (row) rows.push(row);
      if (reader.stopped) break;
    }
    return rows;
  };
  for await (const chunk of chunks) {
    yield rowsOf(splitter.push(chunk));
    if (reader.stopped) return;
  }
  yield rowsOf(splitter.end());
}

/**
 * The rows of an import file given as text chunks, in file order, in one
 * batch per chunk, each row with the events it holds. A record (a CSV record,
 * a JSON line) longer than `maxRecordChars` is rejected with its line rather
 * than held in memory. A CSV header the format rejects is the last row.
 */
export function readImportStream(
  chunks: AsyncIterable<string>,
  format: StreamFormat,
  maxRecordChars: number,
): AsyncGenerator<ImportRow<LeadEvent[]>[]> {
  if (format === 'jsonl') return jsonLineRows(chunks, maxRecordChars);
  return csvRows(chunks, CSV_FORMATS[format](), maxRecordChars);
}
