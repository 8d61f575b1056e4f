import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { serve } from '../../server/index';
import { PG_URL, call, queryRows, removeWorkspace, startServer, tempWorkspace, type TestServer } from './helpers';

type Role = 'ingest' | 'sales' | 'editor' | 'admin';
const ROLES: Role[] = ['ingest', 'sales', 'editor', 'admin'];

let server: TestServer;
const keys = {} as Record<Role, string>;

beforeAll(async () => {
  server = await startServer();
  for (const role of ROLES) keys[role] = await server.key(role);
});
afterAll(() => server.close());

/** Each endpoint with a harmless request, and the roles allowed to make it. */
const ENDPOINTS: Array<{ method: string; path: string; body?: unknown; allowed: Role[] }> = [
  {
    method: 'POST',
    path: '/v1/events',
    body: { id: 'a1', leadId: 'acl', type: 'email_open', occurredAt: '2026-03-01T09:00:00Z' },
    allowed: ['ingest', 'admin'],
  },
  {
    method: 'POST',
    path: '/v1/events/batch',
    body: { events: [{ id: 'a2', leadId: 'acl', type: 'email_open', occurredAt: '2026-03-01T09:00:00Z' }] },
    allowed: ['ingest', 'admin'],
  },
  { method: 'PUT', path: '/v1/leads/acl/attributes', body: { attributes: { role: 'manager' } }, allowed: ['ingest', 'admin'] },
  { method: 'GET', path: '/v1/leads', allowed: ['sales', 'editor', 'admin'] },
  { method: 'GET', path: '/v1/leads/acl', allowed: ['sales', 'editor', 'admin'] },
  { method: 'GET', path: '/v1/leads/acl/handoff', allowed: ['sales', 'editor', 'admin'] },
  { method: 'GET', path: '/v1/leads/acl/case', allowed: ['sales', 'editor', 'admin'] },
  { method: 'GET', path: '/v1/attributes', allowed: ['sales', 'editor', 'admin'] },
  { method: 'POST', path: '/v1/leads/acl/reject', body: { reason: 'other' }, allowed: ['sales', 'admin'] },
  { method: 'GET', path: '/v1/kpis?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z', allowed: ['sales', 'editor', 'admin'] },
  { method: 'GET', path: '/v1/kpis/challenger?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z', allowed: ['sales', 'editor', 'admin'] },
  { method: 'POST', path: '/v1/evaluate', body: { events: [] }, allowed: ['ingest', 'sales', 'editor', 'admin'] },
  { method: 'GET', path: '/v1/rulesets', allowed: ['ingest', 'sales', 'editor', 'admin'] },
  { method: 'GET', path: '/v1/rulesets/v1/cases', allowed: ['ingest', 'sales', 'editor', 'admin'] },
  { method: 'POST', path: '/v1/rulesets', body: { not: 'a rule set' }, allowed: ['editor', 'admin'] },
  { method: 'PUT', path: '/v1/rulesets/challenger', body: { version: null }, allowed: ['editor', 'admin'] },
  { method: 'POST', path: '/v1/rulesets/v1/approvals', body: { team: 'marketing' }, allowed: ['editor', 'admin'] },
  { method: 'POST', path: '/v1/rulesets/v1/approvals', body: { team: 'sales' }, allowed: ['sales', 'admin'] },
  { method: 'POST', path: '/v1/rulesets/v1/activate', allowed: ['admin'] },
  { method: 'GET', path: '/v1/keys', allowed: ['admin'] },
  { method: 'GET', path: '/v1/me', allowed: ['ingest', 'sales', 'editor', 'admin'] },
];

describe('API keys and roles', () => {
  it('answers 401 with a problem and a Bearer challenge when the key is missing', async () => {
    for (const { method, path, body } of ENDPOINTS) {
      const reply = await server.call(method, path, { key: null, body });
      expect(reply.status, `${method} ${path}`).toBe(401);
      expect(reply.body.type).toBe('/problems/unauthorized');
    }
    const response = await fetch(`${server.url}/v1/leads`);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('answers 401 for an unknown key without echoing it', async () => {
    const reply = await server.call('GET', '/v1/leads', { key: 'lf_guessed-key-value' });
    expect(reply.status).toBe(401);
    expect(reply.text).not.toContain('guessed-key-value');
  });

  it('answers 403 to every role not allowed, and lets allowed roles through', async () => {
    for (const { method, path, body, allowed } of ENDPOINTS) {
      for (const role of ROLES) {
        const reply = await server.call(method, path, { key: keys[role], body });
        const label = `${role} ${method} ${path}`;
        if (allowed.includes(role)) expect([401, 403], label).not.toContain(reply.status);
        else {
          expect(reply.status, label).toBe(403);
          expect(reply.text, label).not.toContain(keys[role]);
        }
      }
    }
  });

  it('tells a key its own name and role, and nothing about other keys', async () => {
    for (const role of ROLES) {
      const reply = await server.call('GET', '/v1/me', { key: keys[role] });
      expect(reply.status).toBe(200);
      expect(reply.body.role).toBe(role);
      expect(Object.keys(reply.body).sort()).toEqual(['name', 'role']);
    }
  });

  it('stores keys only as hashes', async () => {
    const dump = JSON.stringify(await queryRows(server, 'select * from api_keys'));
    for (const role of ROLES) expect(dump).not.toContain(keys[role]);
    expect(dump).toContain('"role":"sales"');
  });

  it('lists keys without the keys and revokes one at once', async () => {
    const created = await server.call('POST', '/v1/keys', { body: { name: 'temporary', role: 'sales' } });
    expect(created.status).toBe(201);
    expect((await server.call('GET', '/v1/leads', { key: created.body.key })).status).toBe(200);
    const listed = await server.call('GET', '/v1/keys');
    expect(listed.text).not.toContain(created.body.key);
    expect(listed.body.keys).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: created.body.id, name: 'temporary', role: 'sales', revokedAt: null })]),
    );
    expect((await server.call('DELETE', `/v1/keys/${created.body.id}`)).status).toBe(204);
    expect((await server.call('GET', '/v1/leads', { key: created.body.key })).status).toBe(401);
    expect((await server.call('DELETE', `/v1/keys/${created.body.id}`)).status).toBe(404);
  });

  it('rejects a key with an unknown role', async () => {
    const reply = await server.call('POST', '/v1/keys', { body: { name: 'x', role: 'root' } });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('role');
  });
});

describe('the first admin key', () => {
  it('is generated on first start, shown once, and works; a restart makes no new one', async () => {
    const workspace = await tempWorkspace();
    const previous = process.env['LEADFLOW_ADMIN_KEY'];
    delete process.env['LEADFLOW_ADMIN_KEY'];
    try {
      const first = await serve({ port: 0, db: workspace.db, rulesDir: workspace.rulesDir, log: false });
      expect(first.adminKey).toMatch(/^lf_/);
      expect((await call(first.url, 'GET', '/v1/keys', { key: first.adminKey! })).status).toBe(200);
      await first.close();
      const second = await serve({ port: 0, db: workspace.db, rulesDir: workspace.rulesDir, log: false });
      expect(second.adminKey).toBeUndefined();
      expect((await call(second.url, 'GET', '/v1/keys', { key: first.adminKey! })).status).toBe(200);
      await second.close();
      if (!PG_URL) expect(readFileSync(workspace.db).includes(first.adminKey!)).toBe(false);
    } finally {
      if (previous !== undefined) process.env['LEADFLOW_ADMIN_KEY'] = previous;
      await removeWorkspace(workspace);
    }
  });
});

describe('errors', () => {
  it('never show a stack trace: an unknown route is a problem too', async () => {
    const reply = await server.call('GET', '/v1/nothing-here');
    expect(reply.status).toBe(404);
    expect(reply.type).toContain('application/problem+json');
    expect(reply.body.instance).toMatch(/^urn:request:/);
    expect(reply.text).not.toMatch(/at .*\.ts:\d+/);
  });
});
