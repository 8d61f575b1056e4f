/**
 * Test fixtures for the API: a real server on a temporary SQLite file with
 * its own copy of rules/, and small helpers to call it.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServeOptions } from '../../server/index';
import type { LeadEventInput } from '../../engine/index';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface Reply<T = any> {
  status: number;
  type: string;
  body: T;
  text: string;
}

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** Sent as is, instead of JSON of `body`. */
  raw?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  dir: string;
  db: string;
  rulesDir: string;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  /** Creates an API key with a role and returns it. */
  key(role: 'ingest' | 'sales' | 'editor' | 'admin'): Promise<string>;
  close(): Promise<void>;
}

/** A fresh temporary directory with a copy of the repository's rules/. */
export function tempWorkspace(): { dir: string; rulesDir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'leadflow-server-test-'));
  const rulesDir = join(dir, 'rules');
  cpSync(join(ROOT, 'rules'), rulesDir, { recursive: true });
  return { dir, rulesDir, db: join(dir, 'leadflow.db') };
}

/** Calls a server at `url`; JSON in, JSON (or text) out. */
export async function call<T = any>(url: string, method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== null) headers['authorization'] ??= `Bearer ${options.key ?? ADMIN_KEY}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined && { body }) });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, text, body: type.includes('json') && text ? JSON.parse(text) : text };
}

/** Starts a server on a temporary SQLite file (or reuses a workspace); `close()` stops it and removes the workspace. */
export async function startServer(options: Partial<ServeOptions> & { workspace?: ReturnType<typeof tempWorkspace>; keep?: boolean } = {}): Promise<TestServer> {
  const workspace = options.workspace ?? tempWorkspace();
  const { workspace: _w, keep, ...serveOptions } = options;
  const server = await serve({ port: 0, host: '127.0.0.1', db: workspace.db, rulesDir: workspace.rulesDir, adminKey: ADMIN_KEY, log: false, ...serveOptions });
  const url = server.url.replace('localhost', '127.0.0.1');
  return {
    url,
    ...workspace,
    call: (method, path, callOptions) => call(url, method, path, callOptions),
    async key(role) {
      const reply = await call(url, 'POST', '/v1/keys', { body: { name: `${role} key`, role } });
      if (reply.status !== 201) throw new Error(`creating a key failed: ${reply.text}`);
      return reply.body.key as string;
    },
    async close() {
      await server.close();
      if (!keep) rmSync(workspace.dir, { recursive: true, force: true });
    },
  };
}

const BASE = Date.parse('2026-03-01T09:00:00Z');
const MINUTE = 60_000;

/** An event for `leadId`, `minutes` after a fixed start; ids are unique per lead and minute unless given. */
export function event(leadId: string, type: string, minutes: number, extra: Partial<LeadEventInput> = {}): LeadEventInput {
  return {
    id: `${leadId}-${type}-${minutes}`,
    leadId,
    type,
    occurredAt: new Date(BASE + minutes * MINUTE).toISOString(),
    properties: {},
    ...extra,
  };
}

/** Events of the given types for one lead, one per `gap` minutes. */
export function events(leadId: string, types: string[], gap = 60): LeadEventInput[] {
  return types.map((type, i) => event(leadId, type, i * gap));
}

/** A deterministic shuffle (for arrival orders). */
export function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
