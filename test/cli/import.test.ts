import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { smallHistory, writeHistory, writeRules } from '../comparisons/fixtures';
import { leadflow, tempDir } from './helpers';

let dir: string;
let rulesDir: string;

beforeAll(() => {
  dir = tempDir();
  rulesDir = writeRules(join(dir, 'rules'));
});

let databases = 0;
const newDb = () => join(dir, `db-${++databases}.db`);
const importInto = (db: string, ...args: string[]) => leadflow('import', '--db', db, '--rules-dir', rulesDir, ...args);

function rows(db: string, sql: string): unknown[] {
  const database = new Database(db, { readonly: true });
  try {
    return database.prepare(sql).all();
  } finally {
    database.close();
  }
}

/** Everything an import writes, to tell whether anything changed. */
function dump(db: string) {
  return {
    leads: rows(db, 'select id, state, updated_at from leads order by id'),
    events: rows(db, 'select id, received_at, explanation from events order by id'),
    outcomes: rows(db, 'select * from outcomes order by event_id'),
    stageChanges: rows(db, 'select * from stage_changes order by lead_id, seq'),
  };
}

const summaryLine = (stdout: string, name: string) =>
  stdout
    .split('\n')
    .find((line) => line.trimStart().startsWith(name))
    ?.trim()
    .replace(/\s+/g, ' ');

describe('leadflow import', () => {
  it('stores the history of a file and says what it did', async () => {
    const db = newDb();
    const { code, stdout, stderr } = await importInto(db, writeHistory(join(dir, 'history.jsonl')));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^Imported .*history\.jsonl \(jsonl\) into .*db-\d\.db with rule set v2 in \d+\.\d s\n/);
    expect(summaryLine(stdout, 'rows read')).toBe('rows read 13');
    expect(summaryLine(stdout, 'events stored')).toBe('events stored 13');
    expect(summaryLine(stdout, 'skipped as duplicates')).toBe('skipped as duplicates 0');
    expect(summaryLine(stdout, 'rejected rows')).toBe('rejected rows 0');
    expect(summaryLine(stdout, 'leads')).toBe('leads 5 new, 0 updated');
    expect(summaryLine(stdout, 'outcomes recorded')).toBe('outcomes recorded won 2, lost 2');
    // Leads as the active version (v2, the newest in a new database) computed them from their events in time order.
    expect(rows(db, 'select id, stage, score from leads order by id')).toEqual([
      { id: 'a', stage: 'mql', score: 60 },
      { id: 'b', stage: 'inquiry', score: 10 },
      { id: 'c', stage: 'mql', score: 35 },
      { id: 'd', stage: 'mql', score: 30 },
      { id: 'e', stage: 'inquiry', score: 10 },
    ]);
    expect(rows(db, 'select lead_id, kind, amount, reason, recorded_by from outcomes order by lead_id')).toEqual([
      { lead_id: 'a', kind: 'won', amount: 1000, reason: null, recorded_by: 'import history.jsonl' },
      { lead_id: 'b', kind: 'lost', amount: null, reason: 'price', recorded_by: 'import history.jsonl' },
      { lead_id: 'c', kind: 'won', amount: 1000, reason: null, recorded_by: 'import history.jsonl' },
      { lead_id: 'd', kind: 'lost', amount: null, reason: 'price', recorded_by: 'import history.jsonl' },
    ]);
  });

  it('changes nothing when the same file is imported again: every event is skipped as a duplicate', async () => {
    const db = newDb();
    const file = writeHistory(join(dir, 'again.jsonl'));
    expect((await importInto(db, file)).code).toBe(0);
    const before = dump(db);
    const { code, stdout } = await importInto(db, file);
    expect(code).toBe(0);
    expect(summaryLine(stdout, 'events stored')).toBe('events stored 0');
    expect(summaryLine(stdout, 'skipped as duplicates')).toBe('skipped as duplicates 13');
    expect(summaryLine(stdout, 'leads')).toBe('leads 0 new, 0 updated');
    expect(dump(db)).toEqual(before);
  });

  it('adds a later file to the leads already stored, in time order, as if all had come at once', async () => {
    const history = smallHistory();
    const late = history.filter((event) => event.leadId === 'a' && event.id !== 'a-1');
    const early = history.filter((event) => !late.includes(event));
    const inTwo = newDb();
    expect((await importInto(inTwo, writeHistory(join(dir, 'early.jsonl'), early))).code).toBe(0);
    const second = await importInto(inTwo, writeHistory(join(dir, 'late.jsonl'), late));
    expect(summaryLine(second.stdout, 'leads')).toBe('leads 0 new, 1 updated');
    const atOnce = newDb();
    await importInto(atOnce, writeHistory(join(dir, 'all.jsonl'), history));
    const states = (db: string) => rows(db, 'select id, state from leads order by id');
    expect(states(inTwo)).toEqual(states(atOnce));
  });

  it('rejects bad rows with their line and reason, and stores the others', async () => {
    const db = newDb();
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(
      file,
      [
        '{"id":"m1","leadId":"m","type":"email_open","occurredAt":"2024-01-01T09:00:00Z"}',
        'not json',
        '{"id":"m2","leadId":"m","type":"fax_sent","occurredAt":"2024-01-01T09:01:00Z"}',
        '',
        '{"id":"m3","leadId":"m","type":"email_click","occurredAt":"last tuesday"}',
        '{"id":"m4","leadId":"m","type":"deal_won","occurredAt":"2024-01-02T09:00:00Z","properties":{"amount":-5}}',
        '{"id":"m5","leadId":"m","type":"email_click","occurredAt":"2024-01-01T09:02:00+01:00"}',
      ].join('\n'),
    );
    const { code, stdout } = await importInto(db, file, '--json');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ format: 'jsonl', rowsRead: 6, eventsStored: 2, duplicates: 0, leads: { created: 1, updated: 0 } });
    expect(summary.rejected).toEqual([
      { line: 2, reason: expect.stringMatching(/^invalid JSON: /) },
      { line: 3, reason: 'type: unknown event type "fax_sent" (not in the active rule set v2 and not a system event type)' },
      { line: 5, reason: expect.stringMatching(/^occurredAt: /) },
      { line: 6, reason: 'properties.amount: a deal amount must be a number ≥ 0, got -5' },
    ]);
    expect(rows(db, 'select id, occurred_at from events order by occurred_at')).toEqual([
      { id: 'm5', occurred_at: '2024-01-01T08:02:00.000Z' },
      { id: 'm1', occurred_at: '2024-01-01T09:00:00.000Z' },
    ]);
    const text = await importInto(newDb(), file);
    expect(text.stdout).toContain('Rejected rows:\n  line 2: invalid JSON: ');
    expect(text.stdout).toContain('  line 3: type: unknown event type "fax_sent"');
  });

  it('stores nothing from a file that cannot be imported as a whole, and fails', async () => {
    const db = newDb();
    const header = join(dir, 'wrong-header.csv');
    writeFileSync(header, 'id,lead,type,occurredAt\ne1,l1,email_open,2024-01-01T09:00:00Z\n');
    const wrong = await importInto(db, header);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe(
      `${header}: nothing imported: line 1: header: missing column "leadId"; unknown column "lead" (property columns are named "properties.<name>")`,
    );

    const garbage = join(dir, 'garbage.jsonl');
    writeFileSync(garbage, 'PK\u0003\u0004 binary\nmore binary\n');
    const unreadable = await importInto(db, garbage);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('nothing imported: no row can be imported: all 2 rejected (first: line 1: invalid JSON');

    const strict = await importInto(db, '--strict', join(dir, 'mixed.jsonl'));
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('nothing imported: --strict: 4 rows rejected (first: line 2: invalid JSON');

    expect(rows(db, 'select count(*) as n from events')).toEqual([{ n: 0 }]);
    expect(rows(db, 'select count(*) as n from leads')).toEqual([{ n: 0 }]);
  });

  it('reads the generic CSV format, telling it by the file name', async () => {
    const db = newDb();
    const file = join(dir, 'events.csv');
    writeFileSync(
      file,
      'id,leadId,type,occurredAt,properties.amount\nc1,k,email_open,2024-01-01T09:00:00Z,\nc2,k,deal_won,2024-01-03T09:00:00Z,1200\n',
    );
    const { code, stdout } = await importInto(db, file, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ format: 'csv', rowsRead: 2, eventsStored: 2, outcomes: { won: 1 } });
    expect(rows(db, 'select amount from outcomes')).toEqual([{ amount: 1200 }]);
  });

  it('explains a missing file, an unknown format and a file name that names no format', async () => {
    expect((await importInto(newDb(), join(dir, 'nope.jsonl'))).stderr.trim()).toBe(`${join(dir, 'nope.jsonl')}: no such file`);
    expect((await importInto(newDb(), '--format', 'xml', join(dir, 'history.jsonl'))).stderr.trim()).toBe(
      '--format must be one of jsonl, csv, x-education, bank-marketing, not "xml"',
    );
    const unnamed = await importInto(newDb(), join(dir, 'history.txt'));
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toContain('cannot tell the format from the file name; give --format');
    expect((await importInto(newDb())).stderr).toContain('usage: leadflow import');
  });
});
