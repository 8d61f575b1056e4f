import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leadEventSchema } from '../../engine/index';
import { collect, historyOf, leadEvents } from '../../server/import/format';
import { X_EDUCATION_TIMELINE, readXEducation } from '../../server/import/x-education';

const LEADS_CSV = new URL('../../../shared/data/x-education/Leads.csv', import.meta.url);
const text = readFileSync(LEADS_CSV, 'utf8');
const [headerLine, firstRowLine] = text.split('\r\n');
const columns = headerLine!.split(',');

/** A Leads.csv row: the file's first data row (no quoted fields) with some columns changed. */
function row(changes: Record<string, string> = {}): string {
  const fields = firstRowLine!.split(',');
  for (const [column, value] of Object.entries(changes)) {
    const i = columns.indexOf(column);
    if (i < 0) throw new Error(`no column ${column}`);
    fields[i] = value;
  }
  return fields.join(',');
}

function file(...rows: string[]): string {
  return [headerLine, ...rows].map((line) => `${line}\r\n`).join('');
}

function onlyLead(csv: string) {
  const result = collect(readXEducation(csv));
  expect(result.rejected).toEqual([]);
  return result.values[0]!;
}

const minutes = (n: number) => n * 60_000;
const days = (n: number) => n * 86_400_000;

describe('X Education import of the real Leads.csv', () => {
  const result = collect(readXEducation(text));

  it('reads every one of the 9,240 leads and rejects none', () => {
    expect(result.rowsRead).toBe(9240);
    expect(result.values).toHaveLength(9240);
    expect(result.rejected).toEqual([]);
  });

  it('keeps the real label: 3,561 converted, each a won deal, every other lead a lost one', () => {
    expect(result.values.filter((lead) => lead.label.value === '1')).toHaveLength(3561);
    for (const lead of result.values) {
      expect(lead.outcomes.map((e) => e.type)).toEqual([lead.label.value === '1' ? 'deal_won' : 'deal_lost']);
    }
  });

  it('builds valid events with unique ids, each lead’s activities before its outcome', () => {
    const history = historyOf(result.values);
    expect(new Set(history.map((e) => e.id)).size).toBe(history.length);
    for (const event of history.slice(0, 2000)) expect(leadEventSchema.parse(event)).toEqual(event);
    for (const lead of result.values) {
      const events = leadEvents(lead);
      expect(events.at(-1)!.type).toMatch(/^deal_(won|lost)$/);
      expect(events[0]).toBe(lead.attributes);
    }
  });

  it('uses only activity types of rules/v1.json', () => {
    const v1 = JSON.parse(readFileSync(new URL('../../rules/v1.json', import.meta.url), 'utf8')) as { eventTypes: Array<{ type: string }> };
    const known = new Set(v1.eventTypes.map((t) => t.type));
    const used = new Set(result.values.flatMap((lead) => lead.events.map((e) => e.type)));
    expect([...used].filter((type) => !known.has(type))).toEqual([]);
  });

  it('never puts sales feedback among the attributes a version can score', () => {
    const attributeNames = new Set(result.values.flatMap((lead) => Object.keys(lead.attributes.properties)));
    for (const feedback of ['tags', 'leadQuality', 'leadProfile', 'lastActivity', 'totalVisits', 'converted'])
      expect(attributeNames.has(feedback)).toBe(false);
    const tagged = result.values.find((lead) => lead.outcomes[0]!.properties['tags'] === 'Closed by Horizzon')!;
    expect(tagged.outcomes[0]!.properties).toMatchObject({ converted: '1', tags: 'Closed by Horizzon' });
  });
});

describe('X Education mapping', () => {
  it('treats "Select" and blank as nothing chosen, and reads Yes/No as booleans', () => {
    const lead = onlyLead(file(row({ City: 'Select', Country: '', 'Do Not Email': 'Yes', 'Lead Source': 'Google' })));
    expect(lead.attributes.properties).not.toHaveProperty('city');
    expect(lead.attributes.properties).not.toHaveProperty('country');
    expect(lead.attributes.properties).toMatchObject({ doNotEmail: true, doNotCall: false, leadSource: 'Google' });
  });

  it('times the first touch by lead number, the activities over two weeks, the outcome after a month', () => {
    const lead = onlyLead(
      file(row({ 'Lead Number': '600000', TotalVisits: '3', 'Total Time Spent on Website': '300', 'Last Activity': 'Email Opened' })),
    );
    const firstTouch = Date.parse(X_EDUCATION_TIMELINE.origin) + minutes(600000);
    expect(Date.parse(lead.attributes.occurredAt)).toBe(firstTouch);
    expect(lead.events.map((e) => [e.type, Date.parse(e.occurredAt) - firstTouch])).toEqual([
      ['site_visit', days(3.5)],
      ['site_visit', days(7)],
      ['site_visit', days(10.5)],
      ['email_open', days(14)],
    ]);
    expect(lead.events[0]!.properties).toEqual({ seconds: 100, pageViews: 0 });
    expect(Date.parse(lead.outcomes[0]!.occurredAt) - firstTouch).toBe(days(30));
  });

  it('maps Last Activity to an activity only where the meaning is faithful', () => {
    const last = (activity: string) =>
      onlyLead(file(row({ TotalVisits: '0', 'Last Activity': activity, 'Last Notable Activity': 'Modified' }))).events.map((e) => e.type);
    expect(last('Email Link Clicked')).toEqual(['email_click']);
    expect(last('Form Submitted on Website')).toEqual(['contact_request']);
    expect(last('Olark Chat Conversation')).toEqual(['chat_conversation']);
    expect(last('Had a Phone Conversation')).toEqual(['phone_call']);
    expect(last('SMS Sent')).toEqual([]);
    expect(last('Email Bounced')).toEqual([]);
  });

  it('counts a page visit as last activity as one of the visits already counted', () => {
    const visits = (n: string) =>
      onlyLead(file(row({ TotalVisits: n, 'Last Activity': 'Page Visited on Website' }))).events.map((e) => e.type);
    expect(visits('2')).toEqual(['site_visit', 'site_visit']);
    expect(visits('0')).toEqual(['site_visit']);
  });

  it('adds the last notable activity when it is another activity than the last one', () => {
    const lead = onlyLead(file(row({ TotalVisits: '0', 'Last Activity': 'Email Opened', 'Last Notable Activity': 'Unsubscribed' })));
    expect(lead.events.map((e) => e.type)).toEqual(['email_unsubscribe', 'email_open']);
  });

  it('turns the free copy of Mastering The Interview into a download at first touch', () => {
    const lead = onlyLead(file(row({ 'A free copy of Mastering The Interview': 'Yes' })));
    expect(lead.events[0]).toMatchObject({
      type: 'document_download',
      occurredAt: lead.attributes.occurredAt,
      properties: { title: 'Mastering The Interview' },
    });
  });

  it('gives a lost deal the sales tag as its reason', () => {
    expect(onlyLead(file(row({ Converted: '0', Tags: 'Ringing' }))).outcomes[0]).toMatchObject({
      type: 'deal_lost',
      properties: { reason: 'Ringing', tags: 'Ringing' },
    });
    expect(onlyLead(file(row({ Converted: '0', Tags: '' }))).outcomes[0]!.properties['reason']).toBe('not converted');
  });
});

describe('X Education bad rows', () => {
  it('rejects each bad row with its line and reason, and reads the others', () => {
    const csv = file(
      row({ 'Prospect ID': 'ok-1' }),
      row({ 'Prospect ID': 'bad-label', Converted: 'yes' }),
      row({ 'Prospect ID': 'bad-visits', TotalVisits: '2.5' }),
      row({ 'Prospect ID': 'ok-1' }),
      'short,row',
      row({ 'Prospect ID': 'bad-flag', 'Do Not Call': 'Maybe' }),
      row({ 'Prospect ID': 'ok-2' }),
    );
    const result = collect(readXEducation(csv));
    expect(result.values.map((lead) => lead.leadId)).toEqual(['ok-1', 'ok-2']);
    expect(result.rejected).toEqual([
      { line: 3, reason: 'Converted: expected 0 or 1, got "yes"' },
      { line: 4, reason: 'TotalVisits: not a whole number ≥ 0: "2.5"' },
      { line: 5, reason: 'Prospect ID: "ok-1" already on line 2' },
      { line: 6, reason: `expected ${columns.length} fields, found 2` },
      { line: 7, reason: 'Do Not Call: expected "Yes" or "No", got "Maybe"' },
    ]);
  });

  it('rejects a file without the expected columns at line 1', () => {
    const result = collect(readXEducation('Prospect ID,Converted\r\nabc,1\r\n'));
    expect(result.values).toEqual([]);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ line: 1, reason: expect.stringMatching(/^header: missing columns "Lead Number", /) });
  });
});
