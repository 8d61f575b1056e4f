import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeadEvent } from '../../engine/index';
import { eventPages, type EventTuple } from '../../server/comparisons/pages';
import { storeHistory } from '../../server/history-import';
import { openHistory, type History } from '../../server/index';
import { compareHistory } from '../../server/lead-history';
import { removeWorkspace, tempWorkspace, type Workspace } from '../server/helpers';

let workspace: Workspace;
let history: History;

const event = (id: string, leadId: string, minute: number, properties: Record<string, unknown> = {}): LeadEvent => ({
  id,
  leadId,
  type: 'email_open',
  occurredAt: new Date(Date.UTC(2024, 0, 1, 9, minute)).toISOString(),
  properties,
});

// Five events at 09:01, among them ids whose order by UTF-8 bytes (SQLite's) differs from their order by UTF-16 code units (JavaScript's, and the server's history order).
const EVENTS = [
  event('z', 'l1', 0),
  event('a\uFF01', 'l1', 1),
  event('a\u{1F600}', 'l1', 1, { note: 'quote " and \\ and \u2028' }),
  event('m', 'l2', 1),
  event('b', 'l3', 1),
  event('c', 'l3', 1),
  event('late', 'l2', 2, { nested: { list: [1, 2] } }),
];

beforeAll(async () => {
  workspace = await tempWorkspace();
  history = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir });
  await storeHistory(history, EVENTS, { recordedBy: 'test' });
});
afterAll(async () => {
  await history.close();
  await removeWorkspace(workspace);
});

async function read(pageSize: number, until: string | null = null): Promise<LeadEvent[]> {
  const events: LeadEvent[] = [];
  for await (const page of eventPages(history.store.history, until, pageSize)) {
    const tuples = JSON.parse(page.json) as EventTuple[];
    expect(tuples).toHaveLength(page.size);
    for (const [occurredAt, id, leadId, type, properties] of tuples) events.push({ id, leadId, type, occurredAt, properties });
  }
  return events;
}

describe('reading history page by page', () => {
  const expected = [...EVENTS].sort((a, b) => (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : compareHistory(a, b)));

  it('gives every event once, lead by lead, each lead’s in the server’s history order, whatever the page size', async () => {
    expect(expected.map((e) => e.id)).toEqual(['z', 'a\u{1F600}', 'a\uFF01', 'm', 'late', 'b', 'c']);
    for (const pageSize of [1, 2, 3, 100]) expect(await read(pageSize), `pages of ${pageSize}`).toEqual(expected);
  });

  it('never splits a lead between pages: a page ends where a lead ends, or grows to hold a lead larger than a page', async () => {
    for (const pageSize of [1, 2, 3]) {
      const pageOfLead = new Map<string, number>();
      let page = 0;
      for await (const { json } of eventPages(history.store.history, null, pageSize)) {
        for (const [, , leadId] of JSON.parse(json) as EventTuple[]) {
          expect(pageOfLead.get(leadId) ?? page, `lead ${leadId} in pages of ${pageSize}`).toBe(page);
          pageOfLead.set(leadId, page);
        }
        page++;
      }
      expect([...pageOfLead.keys()]).toEqual(['l1', 'l2', 'l3']);
    }
  });

  it('stops before `until`', async () => {
    expect(await read(2, '2024-01-01T09:02:00.000Z')).toEqual(expected.filter((e) => e.id !== 'late'));
    expect(await read(2, '2024-01-01T09:00:00.000Z')).toEqual([]);
  });
});
