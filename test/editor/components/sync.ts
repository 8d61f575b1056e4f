/**
 * Before the component tests: SvelteKit writes editor/.svelte-kit/tsconfig.json,
 * which editor/tsconfig.json extends and the TypeScript transform reads. A fresh
 * checkout has none until the editor is built or checked once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const EDITOR = fileURLToPath(new URL('../../../editor/', import.meta.url));
const KIT = fileURLToPath(new URL('../../../node_modules/@sveltejs/kit/svelte-kit.js', import.meta.url));

export default function setup(): void {
  if (existsSync(`${EDITOR}.svelte-kit/tsconfig.json`)) return;
  const result = spawnSync(process.execPath, [KIT, 'sync'], { cwd: EDITOR, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`svelte-kit sync failed:\n${result.stdout}\n${result.stderr}`);
}
