import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeadEventInput } from '../../engine/index';
import { PG_URL, call, event, queryRows, removeWorkspace, shuffled, tempWorkspace, type Workspace } from './helpers';
import { leadsAndRecomputation, spawnServer, stopServer, storedEvents, type ServerProcess } from './processes';

// Several servers behind a load balancer on one PostgreSQL database, as they
// are run: separate processes, each request to any of them, one of them
// killed (kill -9) and started again while requests are under way.
const SERVERS = 3;
const LEADS = 24;
const EVENTS_PER_LEAD = 40;
const SENDERS = 12;
/** Acknowledged events after which one server is killed. */
const KILL_AFTER = 300;

const TYPES = ['email_open', 'email_click', 'site_visit', 'document_download', 'webinar_attended', 'contact_request', 'demo_request'];

/** Events for leads shared by every sender, over weeks, in a shuffled order: many arrive after a newer event of their lead. */
function workload(): LeadEventInput[] {
  const list: LeadEventInput[] = [];
  for (let lead = 0; lead < LEADS; lead++) {
    for (let i = 0; i < EVENTS_PER_LEAD; i++) list.push(event(`shared-${lead}`, TYPES[(lead * 3 + i) % TYPES.length]!, i * 24 * 60 + lead));
  }
  return shuffled(list, 29);
}

let workspace: Workspace;
const servers: (ServerProcess | undefined)[] = [];
/**
 * The workload's events are months before the servers' clock, so time-based
 * changes would tick its leads while the checks read the database: these
 * servers apply none (test/server/scheduler.test.ts runs schedulers on one
 * PostgreSQL database).
 */
const FLAGS = ['--tick-every', 'off'];

beforeAll(async () => {
  if (!PG_URL) return;
  workspace = await tempWorkspace();
  // All at once on the new database: migrations, the first activation and the admin key are each set up once.
  servers.push(...(await Promise.all(Array.from({ length: SERVERS }, () => spawnServer(workspace, FLAGS)))));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server && stopServer(server)));
  if (workspace) await removeWorkspace(workspace);
});

describe.runIf(PG_URL)('three servers on one PostgreSQL database', () => {
  it('stores every acknowledged event once and leaves every lead equal to a recomputation, with one server killed midway', async () => {
    const queue = workload();
    const acknowledged = new Set<string>();
    const sent: LeadEventInput[] = [];
    const statuses = new Map<number, number>();
    let failedRequests = 0;
    let requests = 0;
    let killed: Promise<void> | undefined;

    /** Kills server 1 like a crashed machine and starts it again on the same database. */
    const crashAndRestart = async () => {
      const victim = servers[1]!;
      servers[1] = undefined;
      victim.child.kill('SIGKILL');
      await victim.exited;
      servers[1] = await spawnServer(workspace, FLAGS);
    };

    /** A sender: single events, batches across leads, resends; each request to the next server in turn. */
    const sender = async (id: number) => {
      for (let turn = 0; queue.length > 0; turn++) {
        const size = turn % 3 === 2 ? 8 : 1;
        const items = queue.splice(0, size);
        // Now and then an event already acknowledged is sent again, to another server: it must count once.
        const again = sent[(id * 31 + turn) % Math.max(sent.length, 1)];
        if (turn % 7 === 0 && again) items.push(again);
        const server = servers[(id + turn) % SERVERS];
        requests++;
        try {
          if (!server) throw new Error('server down');
          const reply =
            items.length === 1
              ? await call(server.url, 'POST', '/v1/events', { body: items[0] })
              : await call(server.url, 'POST', '/v1/events/batch', { body: { events: items } });
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          if (reply.status === 200 || reply.status === 201) {
            if (items.length > 1) expect(reply.body.rejected).toBe(0);
            for (const e of items) {
              if (acknowledged.has(e.id)) continue;
              acknowledged.add(e.id);
              sent.push(e);
            }
          } else queue.push(...items);
        } catch {
          // No reply (the server was killed): not acknowledged; send it again, as a client would.
          failedRequests++;
          queue.push(...items);
        }
        if (killed === undefined && acknowledged.size >= KILL_AFTER) killed = crashAndRestart();
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i)));
    await killed;

    expect(killed).toBeDefined();
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    expect(acknowledged.size).toBe(LEADS * EVENTS_PER_LEAD);
    expect(requests).toBeGreaterThan(failedRequests);

    const stored = await storedEvents(workspace);
    expect(stored.length).toBe(LEADS * EVENTS_PER_LEAD);
    expect(new Set(stored.map((e) => e.id)).size).toBe(stored.length);

    const { stored: leads, recomputed, stageCounts } = await leadsAndRecomputation(workspace);
    expect(leads.size).toBe(LEADS);
    for (const [id, state] of leads) expect(state, id).toEqual(recomputed.get(id));

    // The stored timeline of each lead is its stage history, once.
    const changes = await queryRows<{ lead_id: string; n: string }>(
      workspace,
      'select lead_id, count(*) as n from stage_changes group by lead_id',
    );
    for (const { lead_id, n } of changes) expect(Number(n), lead_id).toBe(stageCounts.get(lead_id));
    // Each lead's row names its newest event (the workload's events of a lead have distinct times).
    const newest = new Map<string, string>();
    for (const e of [...stored].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))) newest.set(e.leadId, e.id);
    const rows = await queryRows<{ id: string; last_event_id: string }>(workspace, 'select id, last_event_id from leads');
    for (const row of rows) expect(row.last_event_id, row.id).toBe(newest.get(row.id));
    // About 10 s on a quiet 2-core machine; the margin is for a busy one.
  }, 60_000);

  it('applies 200 events for one lead, sent at once in any order to any server, each exactly once', async () => {
    const hot = shuffled(
      Array.from({ length: 200 }, (_, i) => event('hot', TYPES[i % TYPES.length]!, i * 90)),
      41,
    );
    const replies = await Promise.all(hot.map((e, i) => call(servers[(i * 7) % SERVERS]!.url, 'POST', '/v1/events', { body: e })));
    expect(replies.map((r) => r.status)).toEqual(hot.map(() => 201));
    const { stored, recomputed } = await leadsAndRecomputation(workspace);
    expect(stored.get('hot')!.eventCount).toBe(200);
    expect(stored.get('hot')).toEqual(recomputed.get('hot'));
  });
});
