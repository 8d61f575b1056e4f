/**
 * Test fixtures for the API: a real server on a temporary SQLite file with
 * its own copy of rules/, and small helpers to call it.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type RunningServer, type ServeOptions } from '../../server/index';
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

export interface TestServer extends Workspace {
  url: string;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  /** Creates an API key with a role and returns it. */
  key(role: 'ingest' | 'sales' | 'editor' | 'admin'): Promise<string>;
  /** The server's background population warm-up (see RunningServer). */
  populationWarm: RunningServer['populationWarm'];
  close(): Promise<void>;
}

export interface Workspace {
  dir: string;
  rulesDir: string;
  /** A SQLite file, or a PostgreSQL URL when LEADFLOW_TEST_PG_URL is set. */
  db: string;
}

/** PostgreSQL server to run the suite against (a URL with a role that may create databases); unset: SQLite only. */
export const PG_URL = process.env['LEADFLOW_TEST_PG_URL'];

function databaseUrl(name: string): string {
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** PostgreSQL's "object in use": a database is open in another session (CREATE DATABASE's template, or one being dropped). */
const OBJECT_IN_USE = '55006';
/** PostgreSQL's "insufficient privilege": DROP DATABASE ... WITH (FORCE) met a session of another role, such as an autovacuum worker. */
const INSUFFICIENT_PRIVILEGE = '42501';
const ATTEMPTS = 20;

const codeOf = (error: unknown) => (error as { code?: string }).code;

/** Runs `sql`, again after a growing pause while PostgreSQL answers "object in use" (suites creating databases at once). */
async function whileInUse(sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await adminQuery(sql);
    } catch (error) {
      if (codeOf(error) !== OBJECT_IN_USE || attempt === ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/**
 * Drops a test database. FORCE ends the sessions the tests left open, but it
 * may not end an autovacuum worker (suites that store many rows wake one); then
 * our own sessions are ended and a plain DROP, which asks autovacuum to stop,
 * is tried until the database is free.
 */
async function dropDatabase(name: string): Promise<void> {
  try {
    return await adminQuery(`drop database if exists ${name} with (force)`);
  } catch (error) {
    if (codeOf(error) !== INSUFFICIENT_PRIVILEGE) throw error;
  }
  await adminQuery(
    `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and usename = current_user and pid <> pg_backend_pid()`,
  );
  await whileInUse(`drop database if exists ${name}`);
}

/**
 * A fresh temporary directory with a copy of the repository's rules/, and an
 * empty database: a SQLite file in it, or a new PostgreSQL database.
 */
export async function tempWorkspace(): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'leadflow-server-test-'));
  const rulesDir = join(dir, 'rules');
  cpSync(join(ROOT, 'rules'), rulesDir, { recursive: true });
  if (!PG_URL) return { dir, rulesDir, db: join(dir, 'leadflow.db') };
  const name = `leadflow_${basename(dir)
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()}`;
  await whileInUse(`create database ${name}`);
  return { dir, rulesDir, db: databaseUrl(name) };
}

/** Removes a workspace's directory and database. */
export async function removeWorkspace(workspace: Workspace): Promise<void> {
  rmSync(workspace.dir, { recursive: true, force: true });
  if (PG_URL) await dropDatabase(new URL(workspace.db).pathname.slice(1));
}

/** Runs `onSqlite` or `onPostgres` on a connection of its own to a workspace's database. */
async function onDatabase<T>(
  workspace: Workspace,
  readonly: boolean,
  onSqlite: (db: Database.Database) => T,
  onPostgres: (client: pg.Client) => Promise<T>,
): Promise<T> {
  if (!PG_URL) {
    const db = new Database(workspace.db, { readonly });
    try {
      return onSqlite(db);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: workspace.db });
  await client.connect();
  try {
    return await onPostgres(client);
  } finally {
    await client.end();
  }
}

/** Rows of a query run directly on a workspace's database (for checks the API does not expose). */
export function queryRows<T = Record<string, unknown>>(workspace: Workspace, sql: string): Promise<T[]> {
  return onDatabase(
    workspace,
    true,
    (db) => db.prepare(sql).all() as T[],
    async (client) => (await client.query(sql)).rows as T[],
  );
}

/** Runs a statement directly on a workspace's database (to make a state the API cannot), while no server uses it. */
export function execute(workspace: Workspace, sql: string): Promise<void> {
  return onDatabase(
    workspace,
    false,
    (db) => void db.exec(sql),
    async (client) => void (await client.query(sql)),
  );
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

/**
 * Starts a server on a temporary SQLite file (or reuses a workspace); `close()`
 * stops it and removes the workspace. Time-based changes are off unless
 * `tickEveryMs` is given: test histories are dated in the past, and ticks
 * falling due on the wall clock would land between a test's checks.
 */
export async function startServer(options: Partial<ServeOptions> & { workspace?: Workspace; keep?: boolean } = {}): Promise<TestServer> {
  const workspace = options.workspace ?? (await tempWorkspace());
  const { workspace: _w, keep, ...serveOptions } = options;
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    db: workspace.db,
    rulesDir: workspace.rulesDir,
    adminKey: ADMIN_KEY,
    log: false,
    tickEveryMs: 0,
    ...serveOptions,
  });
  const url = server.url.replace('localhost', '127.0.0.1');
  return {
    url,
    ...workspace,
    call: (method, path, callOptions) => call(url, method, path, callOptions),
    populationWarm: server.populationWarm,
    async key(role) {
      const reply = await call(url, 'POST', '/v1/keys', { body: { name: `${role} key`, role } });
      if (reply.status !== 201) throw new Error(`creating a key failed: ${reply.text}`);
      return reply.body.key as string;
    },
    async close() {
      await server.close();
      if (!keep) await removeWorkspace(workspace);
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

/** Resolves once `check` holds, checking again every `everyMs` (the test's timeout bounds the wait). */
export async function eventually(check: () => Promise<boolean>, everyMs = 50): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, everyMs));
}
