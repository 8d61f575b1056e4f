import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServeArgs } from '../../server/index';
import { PG_URL, removeWorkspace, startServer, tempWorkspace, type TestServer } from './helpers';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('GET /health', () => {
  it('checks the database and needs no key', async () => {
    const reply = await server.call('GET', '/health', { key: null });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', database: PG_URL ? 'postgres' : 'sqlite', activeRuleSet: 'v1' });
  });
});

describe('request ids', () => {
  it('returns a request id on every reply, and keeps one the client sent', async () => {
    const response = await fetch(`${server.url}/health`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(response.headers.get('x-request-id')).toBe('trace-123');
    const generated = await fetch(`${server.url}/health`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('API documentation', () => {
  it('serves an OpenAPI 3.1 document describing every route with its security', async () => {
    const { body } = await server.call('GET', '/openapi.json', { key: null });
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/events',
        '/v1/events/batch',
        '/v1/leads',
        '/v1/leads/{id}',
        '/v1/leads/{id}/handoff',
        '/v1/leads/{id}/case',
        '/v1/leads/{id}/accept',
        '/v1/evaluate',
        '/v1/rulesets',
        '/v1/rulesets/{version}/activate',
        '/v1/rulesets/{version}/cases',
        '/v1/kpis',
        '/v1/keys',
        '/health',
      ]),
    );
    expect(body.paths['/v1/events'].post.security).toEqual([{ bearer: [] }]);
    expect(body.paths['/v1/events'].post.responses['400'].content['application/problem+json']).toBeDefined();
    expect(body.components.schemas.LeadEvent.required).toEqual(expect.arrayContaining(['id', 'leadId', 'type', 'occurredAt']));
  });

  it('serves a browsable docs page with its scripts from this server', async () => {
    const page = await server.call('GET', '/docs', { key: null });
    expect(page.status).toBe(200);
    expect(page.text).toContain('/docs/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const bundle = await fetch(`${server.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect((await server.call('GET', '/docs/..%2Fpackage.json', { key: null })).status).toBe(404);
  });
});

describe('the editor', () => {
  it('is served on the same port, with its routes falling back to index.html, and never hides the API', async () => {
    const workspace = await tempWorkspace();
    const editorDir = join(workspace.dir, 'editor-build');
    mkdirSync(editorDir);
    writeFileSync(join(editorDir, 'index.html'), '<!doctype html><title>Leadflow editor</title>');
    const withEditor = await startServer({ workspace, editorDir });
    try {
      for (const path of ['/', '/rules', '/leads/demo-001']) {
        const page = await withEditor.call('GET', path, { key: null });
        expect(page.status, path).toBe(200);
        expect(page.text, path).toContain('Leadflow editor');
      }
      expect((await withEditor.call('GET', '/v1/nothing')).body.type).toBe('/problems/not-found');
      expect((await withEditor.call('GET', '/health', { key: null })).body.status).toBe('ok');
    } finally {
      await withEditor.close();
    }
  });
});

describe('parseServeArgs', () => {
  it('reads port, database, rules directory and demo', () => {
    expect(parseServeArgs(['--port', '9000', '--db', 'postgres://u@h/db', '--rules-dir', 'r', '--demo'])).toEqual({
      port: 9000,
      db: 'postgres://u@h/db',
      rulesDir: 'r',
      demo: true,
    });
    expect(parseServeArgs([])).toEqual({});
  });

  it('rejects unknown options and bad ports', () => {
    expect(() => parseServeArgs(['--prot', '1'])).toThrow(/prot/);
    expect(() => parseServeArgs(['--port', 'eighty'])).toThrow(/--port/);
    expect(() => parseServeArgs(['--port', '70000'])).toThrow(/--port/);
  });
});

describe('demo data', () => {
  const anchor = '2026-11-01T00:00:00.000Z';

  it('loads about 200 leads with feedback and outcomes into an empty database, the same for the same anchor', async () => {
    const [a, b] = await Promise.all([tempWorkspace(), tempWorkspace()]);
    // The servers' clock stands at the anchor: later, time-based rules would move the demo leads on (lost ones recycled, quiet ones dormant).
    const now = () => new Date(anchor);
    const first = await startServer({ workspace: a, demo: true, demoAnchor: anchor, now });
    const second = await startServer({ workspace: b, demo: true, demoAnchor: anchor, now });
    try {
      const list = async (s: TestServer) =>
        (await s.call('GET', '/v1/leads?limit=500')).body.leads.map(
          ({ createdAt: _createdAt, updatedAt: _updatedAt, ...lead }: any) => lead,
        );
      const leads = await list(first);
      expect(leads).toHaveLength(200);
      expect(await list(second)).toEqual(leads);
      const stages = new Set(leads.map((l: { stage: string }) => l.stage));
      for (const stage of ['inquiry', 'mql', 'sal', 'won', 'lost', 'nurture', 'dormant']) expect(stages).toContain(stage);
      const kpis = (await first.call('GET', `/v1/kpis?from=2026-05-01T00:00:00Z&to=${anchor}`)).body;
      expect(kpis.funnel.won).toBeGreaterThan(0);
      expect(kpis.followUp.followedUp).toBeGreaterThan(0);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('loads nothing into a database that has leads', async () => {
    const workspace = await tempWorkspace();
    const plain = await startServer({ workspace, keep: true });
    await plain.call('POST', '/v1/events', {
      body: { id: 'only', leadId: 'only', type: 'email_open', occurredAt: '2026-03-01T09:00:00Z' },
    });
    await plain.close();
    const demo = await startServer({ workspace, demo: true, demoAnchor: anchor });
    try {
      expect((await demo.call('GET', '/v1/leads')).body.leads.map((l: { id: string }) => l.id)).toEqual(['only']);
    } finally {
      await demo.close();
      await removeWorkspace(workspace);
    }
  });
});
