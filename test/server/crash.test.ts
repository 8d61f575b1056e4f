import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeadEventInput } from '../../engine/index';
import { call, event, removeWorkspace, shuffled, startServer, tempWorkspace, type Workspace } from './helpers';
import { leadsAndRecomputation, spawnServer, storedEvents } from './processes';

let workspace: Workspace;
beforeAll(async () => {
  workspace = await tempWorkspace();
});
afterAll(() => removeWorkspace(workspace));

const TYPES = ['email_open', 'email_click', 'site_visit', 'document_download', 'webinar_attended', 'demo_request'];

/** Events for many leads over months, in a shuffled arrival order (so many arrive late). */
function workload(): LeadEventInput[] {
  const list: LeadEventInput[] = [];
  for (let lead = 0; lead < 40; lead++) {
    for (let i = 0; i < 60; i++) list.push(event(`crash-${lead}`, TYPES[(lead + i) % TYPES.length]!, i * 12 * 60 + lead));
  }
  return shuffled(list, 13);
}

describe('a crash during ingestion (kill -9)', () => {
  it('loses no acknowledged event and leaves every lead equal to a recomputation from its events', async () => {
    const { child, url, exited } = await spawnServer(workspace);
    const acknowledged = new Set<string>();
    const queue = workload();
    let killed = false;

    /** One sender: single events and small batches, until the server dies or the work runs out. */
    const sender = async (id: number) => {
      while (queue.length > 0 && !killed) {
        const batch = queue.splice(0, id % 2 === 0 ? 1 : 25);
        try {
          const reply =
            batch.length === 1
              ? await call(url, 'POST', '/v1/events', { body: batch[0] })
              : await call(url, 'POST', '/v1/events/batch', { body: { events: batch } });
          if (reply.status === 200 || reply.status === 201) batch.forEach((e) => acknowledged.add(e.id));
        } catch {
          return; // the server is gone: this request was never acknowledged
        }
        if (!killed && acknowledged.size >= 600) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, i) => sender(i)));
    await exited;
    expect(killed).toBe(true);
    expect(acknowledged.size).toBeGreaterThanOrEqual(600);

    const restarted = await startServer({ workspace, keep: true });
    try {
      expect((await restarted.call('GET', '/health')).status).toBe(200);
      const storedIds = new Set((await storedEvents(workspace)).map((e) => e.id));
      const lost = [...acknowledged].filter((id) => !storedIds.has(id));
      expect(lost).toEqual([]);

      const { stored, recomputed } = await leadsAndRecomputation(workspace);
      expect(stored.size).toBe(recomputed.size);
      for (const [id, state] of stored) expect(state, id).toEqual(recomputed.get(id));
    } finally {
      await restarted.close();
    }
  });
});
