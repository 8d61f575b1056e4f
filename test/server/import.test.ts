import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { collect, leadEvents, readBankMarketing, readXEducation } from '../../server/import/index';
import { importHistory, storeHistory, type ImportFormat } from '../../server/history-import';
import { openHistory, type History } from '../../server/index';
import type { Ingestion } from '../../server/ingestion';
import { queryRows, removeWorkspace, tempWorkspace, type Workspace } from './helpers';

const DATA = new URL('../../../shared/data/', import.meta.url);
const IMPORT_TIMEOUT = 180_000;

const count = async (workspace: Workspace, sql: string) => Number((await queryRows<{ n: number }>(workspace, sql))[0]!.n);

/** Everything an import writes, to tell whether anything changed (ordered so the dump is comparable). */
async function fingerprint(workspace: Workspace) {
  const [leads, events, outcomes, stages] = await Promise.all([
    queryRows(workspace, 'select count(*) as n, sum(length(state)) as size, max(updated_at) as updated from leads'),
    queryRows(workspace, 'select count(*) as n, sum(length(explanation)) as size, max(received_at) as received from events'),
    queryRows(workspace, 'select kind, count(*) as n from outcomes group by kind order by kind'),
    queryRows(workspace, 'select count(*) as n from stage_changes'),
  ]);
  return { leads, events, outcomes, stages };
}

describe.each([
  { format: 'x-education' as ImportFormat, file: 'x-education/Leads.csv', read: readXEducation, leads: 9240, won: 3561 },
  {
    format: 'bank-marketing' as ImportFormat,
    file: 'bank-marketing/bank-additional-full.csv',
    read: readBankMarketing,
    leads: 41188,
    won: 4640,
  },
])('importing $format', ({ format, file, read, leads, won }) => {
  let workspace: Workspace;
  let history: History;
  let text: string;

  beforeAll(async () => {
    workspace = await tempWorkspace();
    history = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir });
    text = readFileSync(new URL(file, DATA), 'utf8');
  });
  afterAll(async () => {
    await history.close();
    await removeWorkspace(workspace);
  });

  it(
    'stores every lead, event and outcome of the source',
    async () => {
      const summary = await importHistory(history, text, format, { recordedBy: 'test' });
      const expected = collect(read(text));
      const events = expected.values.reduce((sum, lead) => sum + leadEvents(lead).length, 0);
      expect(summary).toMatchObject({
        rowsRead: leads,
        rejected: [],
        eventsStored: events,
        duplicates: 0,
        leads: { created: leads, updated: 0 },
      });
      expect(summary.outcomes).toEqual({ won, lost: leads - won });
      expect(await count(workspace, 'select count(*) as n from leads')).toBe(leads);
      expect(await count(workspace, 'select count(*) as n from events')).toBe(events);
      expect(await count(workspace, "select count(*) as n from outcomes where kind = 'won'")).toBe(won);
      expect(await count(workspace, "select count(*) as n from outcomes where kind = 'lost'")).toBe(leads - won);
      // Every lead was folded by the active version from all of its events.
      expect(await count(workspace, "select count(*) as n from leads where rule_set_version = 'v1'")).toBe(leads);
      expect(await count(workspace, 'select sum(event_count) as n from leads')).toBe(events);
    },
    IMPORT_TIMEOUT,
  );

  it(
    'changes nothing when imported again',
    async () => {
      const before = await fingerprint(workspace);
      const summary = await importHistory(history, text, format, { recordedBy: 'test' });
      expect(summary).toMatchObject({ eventsStored: 0, leads: { created: 0, updated: 0 }, outcomes: {} });
      expect(summary.duplicates).toBe(await count(workspace, 'select count(*) as n from events'));
      expect(await fingerprint(workspace)).toEqual(before);
    },
    IMPORT_TIMEOUT,
  );
});

describe('storing history', () => {
  it('stores nothing when it fails part-way through the file', async () => {
    const workspace = await tempWorkspace();
    const history = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir });
    try {
      const { values } = collect(readXEducation(readFileSync(new URL('x-education/Leads.csv', DATA), 'utf8')));
      const events = values.slice(0, 300).flatMap(leadEvents);
      let steps = 0;
      // The real ingestion for the first step of 100 leads, then a failure, as a full disk or a lost connection would give.
      const failing = {
        ingestWithin: (queries, submissions) => {
          if (++steps === 2) throw new Error('disk full');
          return history.ingestion.ingestWithin(queries, submissions);
        },
      } as Pick<Ingestion, 'ingestWithin'> as Ingestion;
      await expect(
        storeHistory({ store: history.store, ingestion: failing }, events, { recordedBy: 'test', leadsPerChunk: 100 }),
      ).rejects.toThrow('disk full');
      expect(steps).toBe(2);
      for (const table of ['events', 'leads', 'outcomes', 'stage_changes']) {
        expect(await count(workspace, `select count(*) as n from ${table}`), table).toBe(0);
      }
      const stored = await storeHistory(history, events, { recordedBy: 'test', leadsPerChunk: 100 });
      expect(stored.leads.created).toBe(300);
    } finally {
      await history.close();
      await removeWorkspace(workspace);
    }
  });
});
