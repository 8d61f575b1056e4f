import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, startServer, type TestServer } from './helpers';

let server: TestServer;
let editorKey: string;
let salesKey: string;
let ingestKey: string;
let v1: any;

beforeAll(async () => {
  server = await startServer();
  [editorKey, salesKey, ingestKey] = await Promise.all([server.key('editor'), server.key('sales'), server.key('ingest')]);
  v1 = JSON.parse(readFileSync(join(server.rulesDir, 'v1.json'), 'utf8'));
});
afterAll(() => server.close());

const asEditor = (method: string, path: string, body?: unknown) => server.call(method, path, { key: editorKey, body });

/** A case of one webinar, expecting `band`. */
const webinarCase = (name: string, band: string) => ({
  name,
  events: [{ type: 'webinar_attended', occurredAt: '2026-01-05T09:00:00Z' }],
  expect: { band, fired: ['webinar-attended'] },
});

/** v1 as a new version's body, with cases. */
function newVersion(cases: unknown[], change: (json: any) => void = () => {}) {
  const { version: _version, createdAt: _createdAt, author: _author, parent: _parent, $schema: _schema, ...rest } = structuredClone(v1);
  change(rest);
  return { ...rest, note: 'with cases', cases };
}

/** Creates a version and gives it both approvals; returns its name. */
async function approvedVersion(body: unknown): Promise<string> {
  const created = await asEditor('POST', '/v1/rulesets', body);
  expect(created.status).toBe(201);
  const version = created.body.version as string;
  expect((await asEditor('POST', `/v1/rulesets/${version}/approvals`, { team: 'marketing' })).status).toBe(201);
  expect((await server.call('POST', `/v1/rulesets/${version}/approvals`, { key: salesKey, body: { team: 'sales' } })).status).toBe(201);
  return version;
}

describe('cases of a version', () => {
  it('runs the reference cases kept beside v1, all passing', async () => {
    const { status, body } = await asEditor('GET', '/v1/rulesets/v1/cases');
    expect(status).toBe(200);
    expect(body.failed).toBe(0);
    expect(body.total).toBeGreaterThanOrEqual(10);
    expect(body.cases.map((c: { name: string }) => c.name)).toContain('webinar attended gives 20');
  });

  it('are saved with a new version and run with it, failures explained', async () => {
    const created = await asEditor(
      'POST',
      '/v1/rulesets',
      newVersion([webinarCase('cold webinar', 'cold'), webinarCase('warm webinar', 'warm')]),
    );
    expect(created.status).toBe(201);
    const { version } = created.body;
    expect(JSON.parse(readFileSync(join(server.rulesDir, `${version}.json`), 'utf8')).cases).toHaveLength(2);
    const { body } = await asEditor('GET', `/v1/rulesets/${version}/cases`);
    expect(body).toMatchObject({ version, total: 2, failed: 1 });
    expect(body.cases[1]).toMatchObject({
      name: 'warm webinar',
      passed: false,
      actual: { band: 'cold', score: { total: 20 } },
      differences: [
        { path: 'expect.band', expected: 'warm', actual: 'cold', message: 'band: expected warm, got cold (score 20, warm from 30)' },
      ],
    });
  });

  it('are checked on save like the rest of the rule set, with their JSON path', async () => {
    const reply = await asEditor('POST', '/v1/rulesets', newVersion([{ ...webinarCase('odd', 'cold'), expect: {} }]));
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([{ path: 'cases[0].expect', message: 'a case must expect at least one thing' }]);
  });
});

describe('activation and cases', () => {
  it('refuses a version whose cases fail, listing each failing case with its first difference', async () => {
    const version = await approvedVersion(newVersion([webinarCase('cold webinar', 'cold'), webinarCase('hot webinar', 'hot')]));
    const refused = await server.call('POST', `/v1/rulesets/${version}/activate`);
    expect(refused.status).toBe(409);
    expect(refused.type).toContain('application/problem+json');
    expect(refused.body.type).toBe('/problems/failing-cases');
    expect(refused.body.detail).toBe(`1 of 2 cases of ${version} fail; a version is activated only when all pass.`);
    expect(refused.body.errors).toEqual([
      { path: 'cases["hot webinar"]', message: 'band: expected hot, got cold (score 20, hot from 60)' },
    ]);
    expect(refused.body.cases).toEqual([
      expect.objectContaining({ name: 'hot webinar', differences: [expect.objectContaining({ path: 'expect.band' })] }),
    ]);
    expect((await asEditor('GET', '/v1/rulesets')).body.active).toBe('v1');
  });

  it('refuses a version that breaks the cases kept beside it', async () => {
    // Cases added to a version after publication live in vN.cases.json, written by hand.
    const version = await approvedVersion(
      newVersion([], (json) => (json.scoring.find((r: any) => r.id === 'webinar-attended').points = 15)),
    );
    const cases = JSON.parse(readFileSync(join(server.rulesDir, 'v1.cases.json'), 'utf8'));
    writeFileSync(join(server.rulesDir, `${version}.cases.json`), JSON.stringify({ ...cases, version }));
    const refused = await server.call('POST', `/v1/rulesets/${version}/activate`);
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toContainEqual({
      path: 'cases["webinar attended gives 20"]',
      message: 'score: expected at least 20, got 15 (fit 0, engagement 15)',
    });
  });

  it('activates a version whose cases pass', async () => {
    const version = await approvedVersion(newVersion([webinarCase('cold webinar', 'cold')]));
    const activated = await server.call('POST', `/v1/rulesets/${version}/activate`);
    expect(activated.status).toBe(200);
    expect(activated.body.active).toBe(version);
    // v1's own cases pass, so a rollback to it is allowed.
    expect((await server.call('POST', '/v1/rulesets/v1/activate')).body.active).toBe('v1');
  });
});

describe("a case from a lead's outcome", () => {
  beforeAll(async () => {
    const reply = await server.call('POST', '/v1/events/batch', {
      key: ingestKey,
      body: {
        events: [
          event('kept', 'lead_updated', 0, { properties: { role: 'director' } }),
          event('kept', 'webinar_attended', 10),
          event('kept', 'demo_request', 20),
          event('kept', 'email_click', 30),
        ],
      },
    });
    expect(reply.status).toBeLessThan(300);
  });

  it("holds the lead's events and its stage, band, route and score as expectations, and passes on the active version", async () => {
    const lead = (await server.call('GET', '/v1/leads/kept', { key: salesKey })).body.lead;
    const { status, body } = await server.call('GET', '/v1/leads/kept/case?name=kept%20director', { key: salesKey });
    expect(status).toBe(200);
    expect(body.case).toMatchObject({
      name: 'kept director',
      asOf: event('kept', 'email_click', 30).occurredAt,
      expect: { stage: 'mql', band: 'hot', route: 'meeting-after-demo-or-question', score: { atLeast: 70, atMost: 70 } },
    });
    expect(body.case.expect).toMatchObject({ stage: lead.stage, band: lead.band });
    expect(body.case.events.map((e: { type: string }) => e.type)).toEqual([
      'lead_updated',
      'webinar_attended',
      'demo_request',
      'email_click',
    ]);
    expect(body.case.events[0].properties).toEqual({ role: 'director' });
    expect(body).toMatchObject({ leadVersion: 'v1', activeVersion: 'v1', check: { passed: true } });
  });

  it('fails in a version that scores the lead differently', async () => {
    const kept = (await server.call('GET', '/v1/leads/kept/case', { key: salesKey })).body.case;
    const created = await asEditor(
      'POST',
      '/v1/rulesets',
      newVersion([kept], (json) => (json.scoring.find((r: any) => r.id === 'decision-maker').points = 0)),
    );
    expect(created.status).toBe(201);
    const { body } = await asEditor('GET', `/v1/rulesets/${created.body.version}/cases`);
    expect(body.cases[0].differences[0].message).toBe('score: expected at least 70, got 60 (fit 0, engagement 60)');
  });

  it('answers 404 for an unknown lead', async () => {
    expect((await server.call('GET', '/v1/leads/nobody/case', { key: salesKey })).status).toBe(404);
  });
});

describe("a draft's cases", () => {
  it('run without storing anything, failures explained', async () => {
    const draft = newVersion([webinarCase('cold webinar', 'cold'), webinarCase('hot webinar', 'hot')]);
    const { status, body } = await asEditor('POST', '/v1/evaluate/cases', { ruleSet: draft });
    expect(status).toBe(200);
    expect(body.results.map((r: { passed: boolean }) => r.passed)).toEqual([true, false]);
    expect(body.results[1].differences[0].message).toBe('band: expected hot, got cold (score 20, hot from 60)');
  });

  it("run a stored version's cases, those kept beside it included", async () => {
    const { body } = await asEditor('POST', '/v1/evaluate/cases', { version: 'v1' });
    expect(body.results.length).toBeGreaterThanOrEqual(10);
    expect(body.results.every((r: { passed: boolean }) => r.passed)).toBe(true);
  });

  it('refuse an invalid case with its path in the rule set', async () => {
    const reply = await asEditor('POST', '/v1/evaluate/cases', { ruleSet: newVersion([{ ...webinarCase('odd', 'cold'), expect: {} }]) });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([{ path: 'ruleSet.cases[0].expect', message: 'a case must expect at least one thing' }]);
  });
});
