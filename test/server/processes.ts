/**
 * Servers as separate processes (to kill like a crashed machine, or to run
 * several on one database), and the check every such test ends with: each
 * stored lead equals a recomputation from its stored events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateBatch, loadRuleSetOrThrow, type LeadEvent, type LeadState } from '../../engine/index';
import { ADMIN_KEY, ROOT, queryRows, type Workspace } from './helpers';
import { expect } from 'vitest';
import { STATE_COLUMNS, decodeState, trimState, type StateColumns } from '../../server/store/lead-state';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

/**
 * Starts `server/main.ts` on a workspace's database (with more `serve` flags
 * if given) and waits for the line with its URL. Time-based changes are off
 * unless the flags set `--tick-every`: test histories are dated in the past,
 * and ticks falling due on the wall clock would land between a test's checks.
 */
export function spawnServer(workspace: Workspace, flags: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...[
        '--import',
        'tsx',
        'server/main.ts',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--db',
        workspace.db,
        '--rules-dir',
        workspace.rulesDir,
      ],
      ...(flags.includes('--tick-every') ? [] : ['--tick-every', 'off']),
      ...flags,
    ],
    { cwd: ROOT, env: { ...process.env, ...env, LEADFLOW_ADMIN_KEY: ADMIN_KEY }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url.replace('localhost', '127.0.0.1'), exited });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${errors}`)));
  });
}

/** Stops a server process gracefully (SIGTERM) and waits for it to exit. */
export async function stopServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
  await server.exited;
}

/** Every stored event, as the engine takes it. */
export async function storedEvents(workspace: Workspace): Promise<LeadEvent[]> {
  const rows = await queryRows<Record<string, string>>(
    workspace,
    'select id, lead_id, type, occurred_at, properties from events order by lead_id, occurred_at, id',
  );
  return rows.map((row) => ({
    id: row.id!,
    leadId: row.lead_id!,
    type: row.type!,
    occurredAt: row.occurred_at!,
    properties: JSON.parse(row.properties!),
  }));
}

/**
 * Each stored lead's state beside a recomputation from its stored events by
 * the workspace's `version` rule set, lead by lead (both maps keyed by lead
 * id), as stored: without the histories a stored state leaves out (see
 * server/store/lead-state.ts); and each lead's stored count of stage changes,
 * which is checked against the recomputation's here.
 */
export async function leadsAndRecomputation(
  workspace: Workspace,
  version = 'v1',
): Promise<{ stored: Map<string, LeadState>; recomputed: Map<string, LeadState>; stageCounts: Map<string, number> }> {
  const ruleSet = loadRuleSetOrThrow(readFileSync(join(workspace.rulesDir, `${version}.json`), 'utf8'));
  const full = evaluateBatch(ruleSet, await storedEvents(workspace));
  const rows = await queryRows<StateColumns>(workspace, `select ${STATE_COLUMNS.join(', ')} from leads`);
  const stored = new Map<string, LeadState>();
  const stageCounts = new Map<string, number>();
  for (const row of rows) {
    const { state, stageCount } = decodeState(row);
    expect(stageCount, row.id).toBe(full.get(row.id)?.stageHistory.length);
    stored.set(row.id, state);
    stageCounts.set(row.id, stageCount);
  }
  const recomputed = new Map([...full].map(([id, state]) => [id, trimState(state)]));
  return { stored, recomputed, stageCounts };
}
