/**
 * Reviews that mean something: each bound to the key that gave it, with a
 * comment, possibly a request for changes; two teams, two keys; the impact of
 * activating a version, read from a comparison with the active one (which
 * sales may start and read), kept by the activation record; and rollbacks only
 * to versions that were active.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { PG_URL, eventually, startServer, type TestServer } from './helpers';

let server: TestServer;
const keys = { editor: '', sales: '', otherEditor: '' };

beforeAll(async () => {
  server = await startServer({ demo: true, demoAnchor: '2026-11-20T00:00:00.000Z' });
  [keys.editor, keys.sales, keys.otherEditor] = await Promise.all([server.key('editor'), server.key('sales'), server.key('editor')]);
});
afterAll(() => server.close());

const as = (key: string) => (method: string, path: string, body?: unknown) => server.call(method, path, { key, body });
const editor = (method: string, path: string, body?: unknown) => as(keys.editor)(method, path, body);
const sales = (method: string, path: string, body?: unknown) => as(keys.sales)(method, path, body);

/** Saves a copy of v1 with webinars worth `points`, as the next version. */
async function newVersion(points: number): Promise<string> {
  const { version: _v, createdAt: _c, author: _a, parent: _p, ...v1 } = JSON.parse(readFileSync(join(server.rulesDir, 'v1.json'), 'utf8'));
  const scoring = (v1.scoring as Array<{ id: string; on?: string[]; points: number }>).map((rule) =>
    rule.on?.includes('webinar_attended') ? { ...rule, points } : rule,
  );
  const reply = await editor('POST', '/v1/rulesets', { ...v1, scoring, note: `webinars worth ${points}` });
  expect(reply.status).toBe(201);
  return reply.body.version as string;
}

/** Starts (as sales) the comparison of the active version with `version` and waits until its impact is known. */
async function impactOf(version: string) {
  const started = await sales('POST', `/v1/rulesets/${version}/impact`);
  expect(started.status).toBe(202);
  let reply = started;
  await eventually(async () => {
    reply = await sales('GET', `/v1/rulesets/${version}/impact`);
    return reply.body.impact !== null;
  });
  return reply.body;
}

describe('reviews', () => {
  it('keep the key that gave them and their comment', async () => {
    const version = await newVersion(30);
    const reply = await editor('POST', `/v1/rulesets/${version}/approvals`, {
      team: 'marketing',
      comment: 'Webinars convert: checked the comparison.',
    });
    expect(reply.status).toBe(201);
    expect(reply.body.approvals).toEqual([
      {
        team: 'marketing',
        decision: 'approved',
        by: 'editor key',
        keyId: expect.any(String),
        comment: 'Webinars convert: checked the comparison.',
        at: expect.any(String),
      },
    ]);
    const stored = (await server.call('GET', '/v1/keys')).body.keys as Array<{ id: string; role: string }>;
    expect(stored.find((key) => key.id === reply.body.approvals[0].keyId)?.role).toBe('editor');
  });

  it('may ask for changes, with a comment, which holds activation back until the team approves', async () => {
    const version = await newVersion(35);
    const bare = await sales('POST', `/v1/rulesets/${version}/approvals`, { team: 'sales', decision: 'changes-requested' });
    expect(bare.status).toBe(400);
    expect(bare.body.errors).toEqual([{ path: 'comment', message: 'say what should change: a request for changes needs a comment' }]);

    await editor('POST', `/v1/rulesets/${version}/approvals`, { team: 'marketing', comment: 'Fine by us.' });
    const asked = await sales('POST', `/v1/rulesets/${version}/approvals`, {
      team: 'sales',
      decision: 'changes-requested',
      comment: 'Too many hand-offs for our team.',
    });
    expect(asked.status).toBe(201);
    expect(asked.body.approvals[1]).toMatchObject({
      team: 'sales',
      decision: 'changes-requested',
      comment: 'Too many hand-offs for our team.',
    });
    const refused = await server.call('POST', `/v1/rulesets/${version}/activate`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe(`${version} needs the approval of sales before its first activation.`);

    const approved = await sales('POST', `/v1/rulesets/${version}/approvals`, { team: 'sales', comment: 'Agreed after a talk.' });
    expect(approved.status).toBe(201);
    expect(approved.body.approvals[1]).toMatchObject({ team: 'sales', decision: 'approved', comment: 'Agreed after a talk.' });
  });

  it('lets an approval be withdrawn by a request for changes, but not replaced by another approval', async () => {
    const version = await newVersion(40);
    await editor('POST', `/v1/rulesets/${version}/approvals`, { team: 'marketing', comment: 'First look.' });
    const again = await as(keys.otherEditor)('POST', `/v1/rulesets/${version}/approvals`, { team: 'marketing', comment: 'Second look.' });
    expect(again.status).toBe(200);
    expect(again.body.approvals[0]).toMatchObject({ by: 'editor key', comment: 'First look.' });
    const withdrawn = await editor('POST', `/v1/rulesets/${version}/approvals`, {
      team: 'marketing',
      decision: 'changes-requested',
      comment: 'Found a typo in a label.',
    });
    expect(withdrawn.status).toBe(201);
    expect(withdrawn.body.approvals[0]).toMatchObject({ decision: 'changes-requested' });
  });

  it('refuse one key approving for both teams, an admin key too', async () => {
    const version = await newVersion(45);
    expect((await server.call('POST', `/v1/rulesets/${version}/approvals`, { body: { team: 'marketing', comment: 'ok' } })).status).toBe(
      201,
    );
    const both = await server.call('POST', `/v1/rulesets/${version}/approvals`, { body: { team: 'sales', comment: 'ok too' } });
    expect(both.status).toBe(409);
    expect(both.body.errors).toEqual([{ path: 'team', message: 'the same key cannot approve for marketing and sales' }]);
    expect((await sales('POST', `/v1/rulesets/${version}/approvals`, { team: 'sales', comment: 'ok' })).status).toBe(201);
  });
});

describe('approvals recorded before reviews kept keys and comments', () => {
  it.skipIf(PG_URL)('still count as approvals, and stand against a later one', async () => {
    const version = await newVersion(65);
    const db = new Database(server.db);
    try {
      db.prepare(
        "INSERT INTO approvals (version, team, approved_by, approved_at) VALUES (?, 'marketing', 'old editor', '2026-01-01T00:00:00.000Z')",
      ).run(version);
    } finally {
      db.close();
    }
    const { body } = await sales('GET', `/v1/rulesets/${version}`);
    expect(body.approvals).toEqual([
      { team: 'marketing', decision: 'approved', by: 'old editor', keyId: null, comment: '', at: '2026-01-01T00:00:00.000Z' },
    ]);
    expect((await editor('POST', `/v1/rulesets/${version}/approvals`, { team: 'marketing', comment: 'again' })).status).toBe(200);
  });
});

describe('the impact of an activation', () => {
  it('is read from a comparison with the active version that sales may start and read', async () => {
    const version = await newVersion(50);
    const impact = await impactOf(version);
    expect(impact).toMatchObject({ version, active: 'v1', comparison: { id: expect.any(String), status: 'done' } });
    expect(impact.impact).toMatchObject({ comparison: impact.comparison.id, from: 'v1', to: version, leads: expect.any(Number) });
    expect(impact.impact.handOffsPerWeek.to).toBeGreaterThan(impact.impact.handOffsPerWeek.from);
    expect(impact.impact.bandChanged).toBeGreaterThan(0);
    // Asking again reuses the comparison kept.
    expect((await sales('POST', `/v1/rulesets/${version}/impact`)).body.comparison.id).toBe(impact.comparison.id);
    expect((await sales('GET', `/v1/comparisons/${impact.comparison.id}`)).status).toBe(200);
    expect((await sales('POST', '/v1/rulesets/v1/impact')).status).toBe(409);
  });

  it('is kept by the activation record', async () => {
    const version = await newVersion(55);
    await editor('POST', `/v1/rulesets/${version}/approvals`, { team: 'marketing', comment: 'ok' });
    await sales('POST', `/v1/rulesets/${version}/approvals`, { team: 'sales', comment: 'ok' });
    const { impact, comparison } = await impactOf(version);
    expect((await server.call('POST', `/v1/rulesets/${version}/activate?comparison=unknown`)).status).toBe(404);
    const activated = await server.call('POST', `/v1/rulesets/${version}/activate?comparison=${comparison.id}`);
    expect(activated.status).toBe(200);
    expect(activated.body.activation.impact).toEqual(impact);
    const history = await editor('GET', '/v1/rulesets/activations');
    expect(history.body.activations[0]).toMatchObject({ toVersion: version, impact });
  });

  it('is recorded from the newest comparison kept when none is named, for a rollback too', async () => {
    const { active } = (await editor('GET', '/v1/rulesets')).body;
    const impact = await impactOf('v1');
    expect(impact.impact).toMatchObject({ from: active, to: 'v1' });
    const rolledBack = await server.call('POST', '/v1/rulesets/v1/activate');
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.activation).toMatchObject({ fromVersion: active, toVersion: 'v1', impact: impact.impact });
  });
});

describe('rollbacks', () => {
  it('go only to versions that were active: v1, active from the first start, but not a version never approved', async () => {
    const never = await newVersion(60);
    const refused = await server.call('POST', `/v1/rulesets/${never}/activate`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe(`${never} needs the approval of marketing and sales before its first activation.`);
    const history = (await editor('GET', '/v1/rulesets/activations')).body.activations as Array<{ toVersion: string; activatedBy: string }>;
    expect(history.at(-1)).toMatchObject({ toVersion: 'v1', activatedBy: 'system' });
  });
});
