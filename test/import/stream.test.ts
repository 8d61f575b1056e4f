import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { LeadEvent } from '../../engine/index';
import {
  leadEvents,
  oversizedLine,
  readBankMarketing,
  readEventCsv,
  readImportStream,
  readJsonLines,
  readXEducation,
  type ImportRow,
  type StreamFormat,
} from '../../server/import/index';

const DATA = new URL('../../../shared/data/', import.meta.url);
const leadsCsv = readFileSync(new URL('x-education/Leads.csv', DATA), 'utf8');
const bankCsv = readFileSync(new URL('bank-marketing/bank-additional-full.csv', DATA), 'utf8');

/** The text in pieces of the given sizes, in turn: boundaries fall inside CRLFs, quotes and fields. */
function* pieces(text: string, sizes: readonly number[]): Generator<string> {
  for (let at = 0, i = 0; at < text.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield text.slice(at, at + size);
    at += size;
  }
}

async function streamed(chunks: Iterable<string>, format: StreamFormat, maxChars = 1_048_576): Promise<ImportRow<LeadEvent[]>[]> {
  const rows: ImportRow<LeadEvent[]>[] = [];
  async function* each() {
    yield* chunks;
  }
  for await (const batch of readImportStream(each(), format, maxChars)) rows.push(...batch);
  return rows;
}

const asEvents = <T>(rows: Iterable<ImportRow<T>>, events: (value: T) => LeadEvent[]) =>
  [...rows].map((row) => (row.ok ? { ok: true, line: row.line, value: events(row.value) } : row));

describe('reading an import file in pieces', () => {
  it.each([
    { format: 'x-education' as const, text: leadsCsv, whole: () => asEvents(readXEducation(leadsCsv), leadEvents) },
    { format: 'bank-marketing' as const, text: bankCsv, whole: () => asEvents(readBankMarketing(bankCsv), leadEvents) },
  ])('gives the rows of $format exactly as reading the whole text does', async ({ format, text, whole }) => {
    const expected = whole();
    expect(await streamed(pieces(text, [65_536, 1_001, 17]), format)).toEqual(expected);
  });

  it('keeps lines, quoted line breaks and rejections of the generic CSV format across any chunk boundary', async () => {
    const text =
      '\uFEFFid,leadId,type,occurredAt,properties.note\r\n' +
      'c1,k,email_open,2024-01-01T09:00:00Z,"two\r\nlines"\r\n' +
      'c2,k,email_open,2024-01-01T09:01:00Z,"bad"x\r\n' +
      '\r\n' +
      'c3,k,deal_won,2024-01-03T09:00:00Z,"""quoted"""\r\n' +
      'c4,k,email_open\r\n';
    const expected = asEvents(readEventCsv(text), (event) => [event]);
    expect(expected.map((row) => [row.line, row.ok])).toEqual([
      [2, true],
      [4, false],
      [6, true],
      [7, false],
    ]);
    for (const size of [1, 2, 3, 5, 8]) expect(await streamed(pieces(text, [size]), 'csv'), `pieces of ${size}`).toEqual(expected);
  });

  it('numbers JSON lines as a whole read does, CRLF and blank lines included', async () => {
    const text = [
      '{"id":"e1","leadId":"l","type":"email_open","occurredAt":"2024-01-01T00:00:00Z"}\r',
      '',
      'not json\r',
      '{"id":"e2","leadId":"l","type":"email_open","occurredAt":"2024-01-01T00:01:00Z","properties":{"city":"Zürich"}}',
    ].join('\n');
    const expected = asEvents(readJsonLines(text), (event) => [event]);
    expect(expected.map((row) => row.line)).toEqual([1, 3, 4]);
    for (const size of [1, 4, 7]) expect(await streamed(pieces(text, [size]), 'jsonl')).toEqual(expected);
  });

  it('rejects a JSON line longer than the limit with its number and the way to convert a JSON array, and reads on', async () => {
    const event = (id: string) => JSON.stringify({ id, leadId: 'l', type: 'email_open', occurredAt: '2024-01-01T00:00:00Z' });
    const array = `[${Array.from({ length: 50 }, (_, i) => event(`a${i}`)).join(',')}]`;
    const rows = await streamed(pieces([event('e1'), array, event('e2')].join('\n'), [100]), 'jsonl', 1_000);
    expect(rows.map((row) => [row.line, row.ok])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect(rows[1]).toEqual({ ok: false, line: 2, reason: oversizedLine(1_000) });
    expect(oversizedLine(1_000)).toContain("jq -c '.[]'");
  });

  it('rejects a CSV record left open by a quote once it passes the limit, at the line it starts on', async () => {
    const text = `id,leadId,type,occurredAt\ne1,l,email_open,2024-01-01T00:00:00Z\ne2,"l,email_open,2024-01-01T00:00:00Z\n${'x,'.repeat(600)}\n`;
    const rows = await streamed(pieces(text, [64]), 'csv', 1_000);
    expect(rows).toEqual([
      expect.objectContaining({ ok: true, line: 2 }),
      { ok: false, line: 3, reason: 'record longer than 1000 characters (is a quote left open?)' },
    ]);
  });

  it('stops at a rejected header, reading no row', async () => {
    const rows = await streamed(pieces('id,lead,type,occurredAt\ne1,l,email_open,2024-01-01T00:00:00Z\n', [10]), 'csv');
    expect(rows).toEqual([{ ok: false, line: 1, reason: expect.stringMatching(/^header: missing column "leadId"/) }]);
  });
});
