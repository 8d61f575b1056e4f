import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leadEventSchema } from '../../engine/index';
import { readBankMarketing } from '../../server/import/bank-marketing';
import { collect, historyOf } from '../../server/import/format';

const BANK_CSV = new URL('../../../shared/data/bank-marketing/bank-additional-full.csv', import.meta.url);
const text = readFileSync(BANK_CSV, 'utf8');
const [headerLine, firstRowLine] = text.split(/\r?\n/);
const columns = headerLine!.split(';').map((c) => c.replaceAll('"', ''));

/** A bank-additional-full.csv row: the file's first data row with some columns changed (strings quoted as in the file). */
function row(changes: Record<string, string | number> = {}): string {
  const fields = firstRowLine!.split(';');
  for (const [column, value] of Object.entries(changes)) {
    const i = columns.indexOf(column);
    if (i < 0) throw new Error(`no column ${column}`);
    fields[i] = typeof value === 'number' ? String(value) : `"${value}"`;
  }
  return fields.join(';');
}

const file = (...rows: string[]) => [headerLine, ...rows].join('\n') + '\n';

function leadsOf(csv: string) {
  const result = collect(readBankMarketing(csv));
  expect(result.rejected).toEqual([]);
  return result.values;
}

describe('Bank Marketing import of the real bank-additional-full.csv', () => {
  const result = collect(readBankMarketing(text));

  it('reads every one of the 41,188 contacts and rejects none', () => {
    expect(result.rowsRead).toBe(41188);
    expect(result.values).toHaveLength(41188);
    expect(result.rejected).toEqual([]);
  });

  it('keeps the real label: 4,640 subscribed, each a won deal, every other client a lost one', () => {
    expect(result.values.filter((lead) => lead.label.value === 'yes')).toHaveLength(4640);
    for (const lead of result.values) {
      expect(lead.outcomes.map((e) => e.type)).toEqual([lead.label.value === 'yes' ? 'deal_won' : 'deal_lost']);
    }
  });

  it('dates the rows from May 2008 to November 2010, in file order', () => {
    const lastCalls = result.values.map((lead) => lead.events.at(-1)!.occurredAt);
    expect(lastCalls[0]).toBe('2008-05-05T09:00:00.000Z');
    expect(lastCalls.at(-1)!.slice(0, 7)).toBe('2010-11');
    expect(lastCalls.every((at, i) => i === 0 || at >= lastCalls[i - 1]!)).toBe(true);
  });

  it('builds valid events with unique ids', () => {
    const history = historyOf(result.values);
    expect(new Set(history.map((e) => e.id)).size).toBe(history.length);
    for (const event of history.slice(0, 2000)) expect(leadEventSchema.parse(event)).toEqual(event);
  });

  it('keeps the call duration, known only after the call, off everything but the outcome', () => {
    for (const lead of result.values.slice(0, 500)) {
      expect(JSON.stringify([lead.attributes, lead.events])).not.toMatch(/duration|callSeconds/);
      expect(lead.outcomes[0]!.properties).toHaveProperty('callSeconds');
    }
  });
});

describe('Bank Marketing mapping', () => {
  it('walks the calendar: weekday changes move to the next such day, an earlier month starts a new year', () => {
    const leads = leadsOf(
      file(
        row({ month: 'may', day_of_week: 'mon' }),
        row({ month: 'may', day_of_week: 'mon' }),
        row({ month: 'may', day_of_week: 'wed' }),
        row({ month: 'may', day_of_week: 'mon' }),
        row({ month: 'jun', day_of_week: 'fri' }),
        row({ month: 'mar', day_of_week: 'tue' }),
      ),
    );
    expect(leads.map((lead) => lead.events.at(-1)!.occurredAt)).toEqual([
      '2008-05-05T09:00:00.000Z',
      '2008-05-05T09:00:30.000Z',
      '2008-05-07T09:00:00.000Z',
      '2008-05-12T09:00:00.000Z',
      '2008-06-06T09:00:00.000Z',
      '2009-03-03T09:00:00.000Z',
    ]);
    expect(leads.map((lead) => lead.leadId)).toEqual(['bank-00001', 'bank-00002', 'bank-00003', 'bank-00004', 'bank-00005', 'bank-00006']);
  });

  it('turns the campaign’s contacts into daily phone calls ending with the last one, and the outcome when it ends', () => {
    const [lead] = leadsOf(file(row({ campaign: 3, duration: 90, y: 'yes' })));
    expect(lead!.events.map((e) => [e.type, e.occurredAt, e.properties['contact']])).toEqual([
      ['phone_call', '2008-05-03T09:00:00.000Z', 1],
      ['phone_call', '2008-05-04T09:00:00.000Z', 2],
      ['phone_call', '2008-05-05T09:00:00.000Z', 3],
    ]);
    expect(lead!.attributes.occurredAt).toBe('2008-05-03T09:00:00.000Z');
    expect(lead!.outcomes[0]).toMatchObject({
      type: 'deal_won',
      occurredAt: '2008-05-05T09:01:30.000Z',
      properties: { y: 'yes', callSeconds: 90 },
    });
  });

  it('makes a success in a previous campaign a past deal, dated by pdays', () => {
    const [lead] = leadsOf(file(row({ poutcome: 'success', pdays: 6, previous: 1 })));
    expect(lead!.attributes.properties).toMatchObject({
      previousOutcome: 'success',
      previousContacts: 1,
      daysSincePreviousContact: 6,
      pastDeals: [{ closedAt: '2008-04-29T09:00:00.000Z' }],
    });
  });

  it('leaves out "unknown" values and pdays 999 (never contacted before)', () => {
    const [lead] = leadsOf(file(row({ job: 'unknown', default: 'unknown', housing: 'yes', pdays: 999 })));
    expect(lead!.attributes.properties).not.toHaveProperty('job');
    expect(lead!.attributes.properties).not.toHaveProperty('creditInDefault');
    expect(lead!.attributes.properties).not.toHaveProperty('daysSincePreviousContact');
    expect(lead!.attributes.properties).toMatchObject({ housingLoan: true, previousOutcome: 'nonexistent' });
  });
});

describe('Bank Marketing bad rows', () => {
  it('rejects each bad row with its line and reason, without moving the calendar', () => {
    const csv = file(
      row({ day_of_week: 'mon' }),
      row({ month: 'mai' }),
      row({ campaign: 0 }),
      row({ y: 'maybe' }),
      '56;"housemaid"',
      row({ age: 'old' }),
      row({ day_of_week: 'tue' }),
    );
    const result = collect(readBankMarketing(csv));
    expect(result.rejected).toEqual([
      { line: 3, reason: 'month: expected one of jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec, got "mai"' },
      { line: 4, reason: 'campaign: not a whole number ≥ 1: "0"' },
      { line: 5, reason: 'y: expected one of yes, no, got "maybe"' },
      { line: 6, reason: `expected ${columns.length} fields, found 2` },
      { line: 7, reason: 'age: not a whole number ≥ 0: "old"' },
    ]);
    expect(result.values.map((lead) => [lead.leadId, lead.events.at(-1)!.occurredAt])).toEqual([
      ['bank-00001', '2008-05-05T09:00:00.000Z'],
      ['bank-00007', '2008-05-06T09:00:00.000Z'],
    ]);
  });

  it('rejects a file without the documented columns at line 1', () => {
    expect(collect(readBankMarketing('"age";"job"\n30;"admin."\n')).rejected).toEqual([
      { line: 1, reason: expect.stringMatching(/^header: missing columns "marital", /) },
    ]);
  });
});
