import { describe, expect, it } from 'vitest';
import { readCsv } from '../../server/import/csv';
import { checkRecord, collect, historyOf, readEventCsv, readJsonLines, sortByTime } from '../../server/import/format';
import type { ImportedLead } from '../../server/import/format';

const jsonl = (...records: unknown[]) => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');
const record = (fields: Record<string, unknown> = {}) => ({
  id: 'e1',
  leadId: 'l1',
  type: 'email_open',
  occurredAt: '2024-01-01T00:00:00Z',
  ...fields,
});

describe('CSV records', () => {
  it('numbers each record by the line it starts on, across quoted line breaks and blank lines', () => {
    const rows = readCsv('a,b\r\n"two\r\nlines",x\r\n\r\nc,d\r\n', ',');
    expect(rows).toEqual([
      { ok: true, line: 1, fields: ['a', 'b'] },
      { ok: true, line: 2, fields: ['two\r\nlines', 'x'] },
      { ok: true, line: 5, fields: ['c', 'd'] },
    ]);
  });

  it('rejects only the malformed record, with its own line', () => {
    const rows = readCsv('a,b\n1,"bad"x\n2,3\n', ',');
    expect(rows[1]).toMatchObject({ ok: false, line: 2 });
    expect(rows[1]!.ok === false && rows[1]!.reason).toMatch(/^malformed CSV: /);
    expect(rows[2]).toEqual({ ok: true, line: 3, fields: ['2', '3'] });
  });

  it('skips a byte-order mark', () => {
    expect(readCsv('\uFEFFa;b\n', ';')).toEqual([{ ok: true, line: 1, fields: ['a', 'b'] }]);
  });
});

describe('import records', () => {
  it('accepts an event of the engine’s shape and normalises its time to UTC', () => {
    expect(checkRecord(record({ occurredAt: '2024-01-01T09:00:00+09:00' }))).toEqual({
      ok: true,
      event: { id: 'e1', leadId: 'l1', type: 'email_open', occurredAt: '2024-01-01T00:00:00.000Z', properties: {} },
    });
  });

  it('rejects a record missing a field, naming the field', () => {
    const checked = checkRecord({ id: 'e1', type: 'email_open', occurredAt: '2024-01-01T00:00:00Z' });
    expect(checked).toMatchObject({ ok: false });
    expect(!checked.ok && checked.reason).toMatch(/^leadId: /);
  });

  it('checks the properties that outcomes and feedback carry', () => {
    expect(checkRecord(record({ type: 'deal_won', properties: { amount: -5 } }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^properties\.amount/),
    });
    expect(checkRecord(record({ type: 'deal_lost', properties: { amount: 100, reason: 'budget' } }))).toMatchObject({ ok: true });
    expect(checkRecord(record({ type: 'sales_rejected', properties: { reason: 3 } }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^properties\.reason/),
    });
    expect(checkRecord(record({ type: 'lead_updated' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/at least one attribute/),
    });
  });

  it('accepts only the given activity types when told them', () => {
    const activityTypes = new Set(['email_open']);
    expect(checkRecord(record({ type: 'podcast' }), { activityTypes })).toEqual({
      ok: false,
      reason: 'type: unknown event type "podcast"',
    });
    expect(checkRecord(record({ type: 'deal_won' }), { activityTypes })).toMatchObject({ ok: true });
    expect(checkRecord(record({ type: 'Podcast Listened' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not a valid event type name/),
    });
  });
});

describe('JSON Lines import', () => {
  it('reads one event per line, skips blank lines, and rejects bad lines with their number', () => {
    const text = jsonl(record(), '', '{"id": "e2",', record({ id: 'e3', occurredAt: 'yesterday' }), record({ id: 'e4' })) + '\n';
    const result = collect(readJsonLines(text));
    expect(result.values.map((e) => e.id)).toEqual(['e1', 'e4']);
    expect(result.rowsRead).toBe(4);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4]);
    expect(result.rejected[0]!.reason).toMatch(/^invalid JSON: /);
    expect(result.rejected[1]!.reason).toMatch(/^occurredAt: /);
  });
});

describe('CSV import', () => {
  it('reads property columns as JSON where they are JSON and as text otherwise', () => {
    const text = [
      'id,leadId,type,occurredAt,properties,properties.amount,properties.city,properties.zip',
      'e1,l1,deal_won,2024-01-01T00:00:00Z,"{""currency"": ""EUR""}",1200,Lisbon,"""01234"""',
      'e2,l1,lead_updated,2024-01-02T00:00:00Z,,,Porto,',
    ].join('\n');
    const result = collect(readEventCsv(text));
    expect(result.rejected).toEqual([]);
    expect(result.values.map((e) => e.properties)).toEqual([
      { currency: 'EUR', amount: 1200, city: 'Lisbon', zip: '01234' },
      { city: 'Porto' },
    ]);
  });

  it('rejects a row with the wrong number of fields or a properties cell that is not an object', () => {
    const text = [
      'id,leadId,type,occurredAt,properties',
      'e1,l1,email_open,2024-01-01T00:00:00Z',
      'e2,l1,email_open,2024-01-01T00:00:00Z,[1]',
    ].join('\n');
    expect(collect(readEventCsv(text)).rejected).toEqual([
      { line: 2, reason: 'expected 5 fields, found 4' },
      { line: 3, reason: 'properties: must be a JSON object' },
    ]);
  });

  it('rejects the whole file at line 1 when the header is wrong, reading no row', () => {
    const result = collect(readEventCsv('id,lead,type,occurredAt,colour\ne1,l1,email_open,2024-01-01T00:00:00Z,red\n'));
    expect(result.values).toEqual([]);
    expect(result.rejected).toEqual([
      {
        line: 1,
        reason:
          'header: missing column "leadId"; unknown column "lead" (property columns are named "properties.<name>"); unknown column "colour" (property columns are named "properties.<name>")',
      },
    ]);
  });
});

describe('history of imported leads', () => {
  const lead = (leadId: string, times: string[]): ImportedLead => {
    const [first, ...rest] = times.map((occurredAt, i) => ({
      id: `${leadId}-${i}`,
      leadId,
      type: 'email_open',
      occurredAt,
      properties: {},
    }));
    return {
      leadId,
      attributes: { ...first!, type: 'lead_updated' },
      events: rest.slice(0, -1),
      outcomes: rest.slice(-1),
      label: { column: 'y', value: 'no' },
    };
  };

  it('merges every lead’s events into one time order, keeping the order of events at the same time', () => {
    const history = historyOf([
      lead('a', ['2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z', '2024-01-05T00:00:00Z']),
      lead('b', ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', '2024-01-04T00:00:00Z']),
    ]);
    expect(history.map((e) => e.id)).toEqual(['a-0', 'b-0', 'b-1', 'a-1', 'b-2', 'a-2']);
  });

  it('sorts by instant, not by text', () => {
    const events = [
      record({ id: 'late', occurredAt: '2024-01-01T01:00:00+00:00' }),
      record({ id: 'early', occurredAt: '2024-01-01T09:30:00+09:00' }),
    ].map((r) => ({ ...r, properties: {} }));
    expect(sortByTime(events).map((e) => e.id)).toEqual(['early', 'late']);
  });
});
