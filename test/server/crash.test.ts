import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateBatch, loadRuleSetOrThrow, type LeadEvent, type LeadEventInput } from '../../engine/index';
import { ADMIN_KEY, ROOT, call, event, queryRows, removeWorkspace, shuffled, startServer, tempWorkspace, type Workspace } from './helpers';

let workspace: Workspace;
beforeAll(async () => {
  workspace = await tempWorkspace();
});
afterAll(() => removeWorkspace(workspace));

/** Runs the server as a separate process, so it can be killed like a crashed machine. */
function spawnServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/main.ts', '--port', '0', '--host', '127.0.0.1', '--db', workspace.db, '--rules-dir', workspace.rulesDir],
    {
      cwd: ROOT,
      env: { ...process.env, LEADFLOW_ADMIN_KEY: ADMIN_KEY },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url.replace('localhost', '127.0.0.1') });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

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
    const { child, url } = await spawnServer();
    const acknowledged = new Set<string>();
    const queue = workload();
    let killed = false;
    const exited = new Promise((resolve) => child.once('exit', resolve));

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
      const stored = await queryRows<Record<string, string>>(
        workspace,
        'select id, lead_id, type, occurred_at, properties from events order by lead_id, occurred_at, id',
      );
      const leads = await queryRows<{ id: string; state: string }>(workspace, 'select id, state from leads');

      const storedIds = new Set(stored.map((row) => row.id));
      const lost = [...acknowledged].filter((id) => !storedIds.has(id));
      expect(lost).toEqual([]);

      const ruleSet = loadRuleSetOrThrow(readFileSync(join(workspace.rulesDir, 'v1.json'), 'utf8'));
      const events: LeadEvent[] = stored.map((row) => ({
        id: row.id!,
        leadId: row.lead_id!,
        type: row.type!,
        occurredAt: row.occurred_at!,
        properties: JSON.parse(row.properties!),
      }));
      const recomputed = evaluateBatch(ruleSet, events);
      expect(leads.length).toBe(recomputed.size);
      for (const lead of leads) expect(JSON.parse(lead.state), lead.id).toEqual(recomputed.get(lead.id));
    } finally {
      await restarted.close();
    }
  });
});
