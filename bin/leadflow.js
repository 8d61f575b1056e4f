#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so no build step is needed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `leadflow import` holds one chunk of a file at a time, but V8 left to
 * itself lets the heap of a long import grow to several times what it holds.
 * Heap limits can only be given when node starts, so the command runs in a
 * node started with them (docs/import.md, "Files of any size").
 */
const IMPORT_HEAP_FLAGS = ['--max-old-space-size=96', '--max-semi-space-size=4'];

if (process.argv[2] === 'import' && !process.execArgv.includes(IMPORT_HEAP_FLAGS[0])) {
  const args = [...IMPORT_HEAP_FLAGS, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  const { status, signal, error } = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (error) throw error;
  if (signal) process.kill(process.pid, signal);
  process.exitCode = status ?? 1;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/index.ts');
  process.exitCode = await main(process.argv.slice(2));
}
