/**
 * A real Leadflow server for the editor's end-to-end tests: a temporary SQLite
 * database, a temporary copy of rules/, demo leads, and the built editor
 * mounted on the same port as the API.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from '../../../server/index';

export const REPO = resolve(import.meta.dirname, '../../..');
export const EDITOR_DIR = join(REPO, 'editor');
export const BUILD_DIR = join(EDITOR_DIR, 'build');

/** Newest modification time of the files under `dir` (recursively). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds the editor unless editor/build is newer than its sources. */
export function ensureEditorBuild(): void {
  const index = join(BUILD_DIR, 'index.html');
  const sources = Math.max(
    newest(join(EDITOR_DIR, 'src')),
    ...['svelte.config.js', 'vite.config.ts'].map((f) => statSync(join(EDITOR_DIR, f)).mtimeMs),
  );
  if (existsSync(index) && statSync(index).mtimeMs > sources) return;
  const result = spawnSync(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: EDITOR_DIR,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`editor build failed:\n${result.stdout}\n${result.stderr}`);
}

export interface EditorServer {
  url: string;
  adminKey: string;
  /** Creates an API key with a role, through the API as an admin would. */
  key(role: 'ingest' | 'sales' | 'editor' | 'admin', name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts the server as `leadflow serve` does, over a temporary database and rules directory, with demo data ending on
 * `anchor`; `webhookEveryMs` sets how often webhooks are dispatched (default the server's), `now` the server's clock.
 */
export async function startEditorServer(
  anchor = '2026-11-20T00:00:00.000Z',
  { webhookEveryMs, now }: { webhookEveryMs?: number; now?: () => Date } = {},
): Promise<EditorServer> {
  const dir = mkdtempSync(join(tmpdir(), 'leadflow-editor-'));
  const rulesDir = join(dir, 'rules');
  cpSync(join(REPO, 'rules'), rulesDir, { recursive: true });
  const adminKey = 'lf_editor_test_admin_key';
  const running = await serve({
    port: 0,
    host: '127.0.0.1',
    db: join(dir, 'leadflow.db'),
    rulesDir,
    adminKey,
    demo: true,
    demoAnchor: anchor,
    log: false,
    editorDir: BUILD_DIR,
    ...(webhookEveryMs !== undefined && { webhookEveryMs }),
    ...(now && { now }),
  });
  const url = running.url.replace('localhost', '127.0.0.1');
  // The scheduler's first run catches up on what fell due since the demo's last day: wait for it, so pages and API agree.
  await running.applyDueChanges();

  return {
    url,
    adminKey,
    async key(role, name) {
      const response = await fetch(`${url}/v1/keys`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, role }),
      });
      if (response.status !== 201) throw new Error(`creating a ${role} key: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { key: string }).key;
    },
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
