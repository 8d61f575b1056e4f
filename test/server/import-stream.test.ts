import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  collect,
  leadEvents,
  readBankMarketing,
  readJsonLines,
  readXEducation,
  type ImportRow,
  type ImportedLead,
} from '../../server/import/index';
import { ImportFileError, importFile, importHistory, storeHistory, type ImportFormat } from '../../server/history-import';
import { openHistory, type History } from '../../server/index';
import type { Ingestion } from '../../server/ingestion';
import { queryRows, removeWorkspace, tempWorkspace, type Workspace } from './helpers';

const readLeads = (read: (text: string) => Iterable<ImportRow<ImportedLead>>) => (text: string) =>
  collect(read(text)).values.flatMap(leadEvents);

const DATA = new URL('../../../shared/data/', import.meta.url);
const TIMEOUT = 180_000;

/** The first `rows` data rows of a data set, with its header. */
function head(file: string, rows: number): string {
  const text = readFileSync(new URL(file, DATA), 'utf8');
  let end = 0;
  for (let i = 0; i <= rows; i++) end = text.indexOf('\n', end) + 1;
  return text.slice(0, end);
}

/** Everything an import stores, without the times of the run itself (received, updated), in a stable order. */
async function stored(workspace: Workspace) {
  return {
    leads: await queryRows(workspace, 'select id, stage, score, rule_set_version, event_count, state from leads order by id'),
    events: await queryRows(
      workspace,
      'select id, lead_id, type, occurred_at, properties, points, score_after, stage_after, explanation from events order by id',
    ),
    outcomes: await queryRows(workspace, 'select event_id, lead_id, kind, amount, reason, recorded_by from outcomes order by event_id'),
    stageChanges: await queryRows(
      workspace,
      'select lead_id, seq, event_id, from_stage, to_stage, at, transition_id, reason, band from stage_changes order by lead_id, seq',
    ),
  };
}

async function withHistory<T>(work: (history: History, workspace: Workspace) => Promise<T>): Promise<T> {
  const workspace = await tempWorkspace();
  const history = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir });
  try {
    return await work(history, workspace);
  } finally {
    await history.close();
    await removeWorkspace(workspace);
  }
}

/** A JSON Lines file of `leads` leads with `perLead` events each, interleaved across leads as an event log is. */
function generatedLines(leads: number, perLead: number): string[] {
  const lines: string[] = [];
  for (let k = 0; k < perLead; k++) {
    for (let lead = 0; lead < leads; lead++) {
      const minutes = k * leads + lead;
      const occurredAt = new Date(Date.UTC(2025, 0, 1) + minutes * 60_000).toISOString();
      lines.push(JSON.stringify({ id: `g${lead}-${k}`, leadId: `g${lead}`, type: k % 3 ? 'email_open' : 'site_visit', occurredAt }));
    }
  }
  return lines;
}

function generatedFile(dir: string, leads: number, perLead: number, badLine?: number): string {
  const lines = generatedLines(leads, perLead);
  if (badLine !== undefined) lines[badLine - 1] = '{"id":"broken","leadId":"g0","type":"email_open","occurredAt":"yesterday"}';
  const file = join(dir, `generated-${leads}x${perLead}-${badLine ?? 0}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const interleaved = generatedLines(1_200, 5);

describe.each([
  { format: 'x-education' as ImportFormat, text: head('x-education/Leads.csv', 1_500), events: readLeads(readXEducation) },
  {
    format: 'bank-marketing' as ImportFormat,
    text: head('bank-marketing/bank-additional-full.csv', 3_000),
    events: readLeads(readBankMarketing),
  },
  // Each lead's events spread over the whole file, so a lead's events arrive in many pieces.
  { format: 'jsonl' as ImportFormat, text: interleaved.join('\n'), events: (text: string) => collect(readJsonLines(text)).values },
])('a streamed import of $format', ({ format, text, events: parsed }) => {
  it(
    'stores the same leads, events, outcomes and stage changes as storing the parsed events in memory',
    async () => {
      const events = parsed(text);
      const inMemory = await withHistory(async (history, workspace) => {
        await storeHistory(history, events, { recordedBy: 'test' });
        return stored(workspace);
      });
      const streamed = await withHistory(async (history, workspace) => {
        // Bytes in pieces of 4 KiB, as a file stream gives them, with multi-byte characters split between pieces.
        const bytes = Buffer.from(text);
        const chunks = Array.from({ length: Math.ceil(bytes.length / 4096) }, (_, i) => bytes.subarray(i * 4096, (i + 1) * 4096));
        const summary = await importHistory(history, { chunks, bytes: bytes.length }, format, { recordedBy: 'test', leadsPerChunk: 250 });
        expect(summary.eventsStored).toBe(events.length);
        return stored(workspace);
      });
      expect(streamed.events.length).toBe(events.length);
      expect(streamed).toEqual(inMemory);
    },
    TIMEOUT,
  );
});

describe('importing a large file', () => {
  let workspace: Workspace;
  let history: History;
  let dir: string;

  beforeAll(async () => {
    workspace = await tempWorkspace();
    dir = workspace.dir;
    history = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir });
    await importHistory(history, readFileSync(generatedFile(dir, 10, 3), 'utf8'), 'jsonl', { recordedBy: 'earlier' });
  }, TIMEOUT);
  afterAll(async () => {
    await history.close();
    await removeWorkspace(workspace);
  });

  it(
    'leaves the database as it was when a row far into the file fails it, naming that row’s line',
    async () => {
      const before = await stored(workspace);
      // 40,000 lines (about 4 MB): the bad one is read long after the first rows were staged.
      const badLine = 38_123;
      const file = generatedFile(dir, 2_000, 20, badLine);
      const failure = importFile(history, file, 'jsonl', {
        recordedBy: 'test',
        onRead: ({ rejected }) => {
          if (rejected.length > 0) throw new ImportFileError(`line ${rejected[0]!.line}: ${rejected[0]!.reason}`);
        },
      });
      await expect(failure).rejects.toThrow(new RegExp(`^line ${badLine}: occurredAt: `));
      expect(await stored(workspace)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'leaves the database as it was when storing fails after some leads were stored',
    async () => {
      const before = await stored(workspace);
      let steps = 0;
      // The real ingestion for the first chunk of leads, then a failure, as a full disk or a lost connection would give.
      const failing = {
        ingestWithin: (queries, submissions) => {
          if (++steps === 3) throw new Error('disk full');
          return history.ingestion.ingestWithin(queries, submissions);
        },
      } as Pick<Ingestion, 'ingestWithin'> as Ingestion;
      const file = generatedFile(dir, 1_500, 4);
      await expect(
        importFile({ ...history, ingestion: failing }, file, 'jsonl', { recordedBy: 'test', leadsPerChunk: 500 }),
      ).rejects.toThrow('disk full');
      expect(steps).toBe(3);
      expect(await stored(workspace)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'reports the bytes read as it goes, rising to the size of the file',
    async () => {
      const file = generatedFile(dir, 1_000, 12);
      const size = readFileSync(file).length;
      const reports: Array<[number, number | undefined]> = [];
      const summary = await importFile(history, file, 'jsonl', {
        recordedBy: 'test',
        onBytes: (read, total) => reports.push([read, total]),
      });
      // The first 30 events are those stored before all tests.
      expect(summary).toMatchObject({ eventsStored: 12_000 - 30, duplicates: 30 });
      expect(reports.length).toBeGreaterThan(1);
      expect(reports.every(([, total]) => total === size)).toBe(true);
      const read = reports.map(([bytes]) => bytes);
      expect(read.every((bytes, i) => i === 0 || bytes > read[i - 1]!)).toBe(true);
      expect(read.at(-1)).toBe(size);
    },
    TIMEOUT,
  );

  it('counts every rejected row but lists only the first ten thousand', async () => {
    const good = '{"id":"kept","leadId":"k","type":"email_open","occurredAt":"2025-01-01T00:00:00Z"}';
    const text = [good, ...Array.from({ length: 10_005 }, () => 'not json')].join('\n');
    const summary = await importHistory(history, text, 'jsonl', { recordedBy: 'test' });
    expect(summary).toMatchObject({ rowsRead: 10_006, eventsStored: 1, rejectedRows: 10_005 });
    expect(summary.rejected).toHaveLength(10_000);
    expect(summary.rejected.at(-1)).toMatchObject({ line: 10_001 });
  });
});
