import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHistory } from '../../server/index';
import { event, queryRows, startServer, tempWorkspace, type TestServer } from './helpers';

let server: TestServer;
let editorKey: string;
let ingestKey: string;
let salesKey: string;
let v1: any;

beforeAll(async () => {
  server = await startServer();
  [editorKey, ingestKey, salesKey] = await Promise.all([server.key('editor'), server.key('ingest'), server.key('sales')]);
  v1 = JSON.parse(readFileSync(join(server.rulesDir, 'v1.json'), 'utf8'));
});
afterAll(() => server.close());

const asEditor = (method: string, path: string, body?: unknown) => server.call(method, path, { key: editorKey, body });
const asSales = (method: string, path: string, body?: unknown) => server.call(method, path, { key: salesKey, body });
const approve = (version: string, team: 'marketing' | 'sales') =>
  (team === 'marketing' ? asEditor : asSales)('POST', `/v1/rulesets/${version}/approvals`, { team });

/** v1 with a new activity type worth 40 points. */
function withPodcast(note: string) {
  const { version: _version, createdAt: _createdAt, author: _author, parent: _parent, ...rest } = v1;
  return {
    ...rest,
    note,
    eventTypes: [...v1.eventTypes, { type: 'podcast_listened', label: 'Podcast listened', category: 'content' }],
    scoring: [...v1.scoring, { id: 'podcast', label: 'Podcast listened', kind: 'engagement', on: ['podcast_listened'], points: 40 }],
  };
}

describe('rule-set versions', () => {
  it('lists versions with the active one', async () => {
    const { body } = await asEditor('GET', '/v1/rulesets');
    expect(body.active).toBe('v1');
    expect(body.challenger).toBeNull();
    expect(body.versions).toEqual([expect.objectContaining({ version: 'v1', valid: true, active: true })]);
  });

  it('reads one version', async () => {
    const { body } = await asEditor('GET', '/v1/rulesets/v1');
    expect(body).toMatchObject({ version: 'v1', active: true, definition: { bands: v1.bands } });
    expect((await asEditor('GET', '/v1/rulesets/v99')).status).toBe(404);
    expect((await asEditor('GET', '/v1/rulesets/latest')).body.errors[0].path).toBe('path.version');
  });

  it('creates a new version as the next file, never overwriting one', async () => {
    writeFileSync(join(server.rulesDir, 'v2.json'), JSON.stringify({ ...v1, version: 'v2', note: 'written by hand' }), { flag: 'wx' });
    const reply = await asEditor('POST', '/v1/rulesets', withPodcast('podcasts count'));
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ version: 'v3', definition: { parent: 'v1', author: 'editor key', note: 'podcasts count' } });
    expect(JSON.parse(readFileSync(join(server.rulesDir, 'v2.json'), 'utf8')).note).toBe('written by hand');
    expect(JSON.parse(readFileSync(join(server.rulesDir, 'v3.json'), 'utf8')).note).toBe('podcasts count');
  });

  it('rejects an invalid rule set with every problem at its JSON path, writing no file', async () => {
    const broken = withPodcast('broken');
    broken.scoring[0] = { ...broken.scoring[0], points: 'many' };
    broken.bands = { hot: 10, warm: 20 };
    const reply = await asEditor('POST', '/v1/rulesets', broken);
    expect(reply.status).toBe(400);
    expect(reply.body.type).toBe('/problems/invalid-rule-set');
    expect(reply.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'scoring[0].points' })]));
    expect(existsSync(join(server.rulesDir, 'v4.json'))).toBe(false);
  });

  it('reports semantic problems (unknown event type in a rule) by path', async () => {
    const broken = withPodcast('typo');
    broken.scoring.at(-1).on = ['podcast_listend'];
    const reply = await asEditor('POST', '/v1/rulesets', broken);
    expect(reply.body.errors).toEqual([
      expect.objectContaining({ path: `scoring[${broken.scoring.length - 1}].on[0]`, message: expect.stringContaining('podcast_listend') }),
    ]);
  });

  it('diffs two versions in plain language', async () => {
    const { body } = await asEditor('GET', '/v1/rulesets/diff?from=v1&to=v3');
    expect(body.changes.map((c: { text: string }) => c.text)).toEqual(
      expect.arrayContaining(['Event type added: Podcast listened', 'Scoring rule added: Podcast listened']),
    );
    expect((await asEditor('GET', '/v1/rulesets/diff?from=v1&to=v42')).status).toBe(404);
    expect((await asEditor('GET', '/v1/rulesets/diff?from=v1')).body.errors[0].path).toBe('query.to');
  });
});

describe('activation', () => {
  it('takes effect for the next event without a restart, and is recorded', async () => {
    const podcast = event('listener', 'podcast_listened', 0);
    const before = await server.call('POST', '/v1/events', { key: ingestKey, body: podcast });
    expect(before.status).toBe(400);
    expect(before.body.errors[0].path).toBe('type');

    await approve('v3', 'marketing');
    await approve('v3', 'sales');
    const activated = await server.call('POST', '/v1/rulesets/v3/activate');
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({
      active: 'v3',
      activation: { fromVersion: 'v1', toVersion: 'v3', activatedBy: expect.any(String) },
    });

    const after = await server.call('POST', '/v1/events', { key: ingestKey, body: podcast });
    expect(after.status).toBe(201);
    expect(after.body.lead).toMatchObject({ ruleSetVersion: 'v3', score: { total: 40 } });

    const { body } = await asEditor('GET', '/v1/rulesets/activations');
    expect(body.activations[0]).toMatchObject({ slot: 'active', fromVersion: 'v1', toVersion: 'v3' });
  });

  it('only admins activate', async () => {
    const reply = await asEditor('POST', '/v1/rulesets/v1/activate');
    expect(reply.status).toBe(403);
    expect((await asEditor('GET', '/v1/rulesets')).body.active).toBe('v3');
  });

  it('answers 404 when activating a version that does not exist', async () => {
    expect((await server.call('POST', '/v1/rulesets/v77/activate')).status).toBe(404);
  });

  it('keeps the activation across a restart', async () => {
    // What a server restores at start; a second server cannot open the SQLite file this one holds.
    const restored = await openHistory({ db: server.db, rulesDir: server.rulesDir });
    try {
      expect(restored.activation.active.version).toBe('v3');
    } finally {
      await restored.close();
    }
  });
});

describe('approvals', () => {
  it('starts with none and lists who approved for which team, and when', async () => {
    expect((await asEditor('GET', '/v1/rulesets/v2')).body.approvals).toEqual([]);
    const marketing = await approve('v2', 'marketing');
    expect(marketing.status).toBe(201);
    const review = { team: 'marketing', decision: 'approved', by: 'editor key', keyId: expect.any(String), comment: '' };
    expect(marketing.body).toEqual({ version: 'v2', approvals: [{ ...review, at: expect.any(String) }] });
    const { body } = await asSales('GET', '/v1/rulesets/v2');
    expect(body.approvals).toEqual([{ ...review, at: marketing.body.approvals[0].at }]);
    expect(Date.parse(body.approvals[0].at)).not.toBeNaN();
  });

  it('keeps the first approval of a team when it approves again', async () => {
    const before = (await asEditor('GET', '/v1/rulesets/v2')).body.approvals;
    const again = await server.call('POST', '/v1/rulesets/v2/approvals', { body: { team: 'marketing' } });
    expect(again.status).toBe(200);
    expect(again.body.approvals).toEqual(before);
  });

  it('lets an editor approve only for marketing and a sales key only for sales', async () => {
    const editorForSales = await asEditor('POST', '/v1/rulesets/v2/approvals', { team: 'sales' });
    expect(editorForSales.status).toBe(403);
    expect(editorForSales.type).toContain('application/problem+json');
    expect(editorForSales.body.errors).toEqual([{ path: 'team', message: 'role editor approves for marketing' }]);
    expect((await asSales('POST', '/v1/rulesets/v2/approvals', { team: 'marketing' })).status).toBe(403);
    expect((await server.call('POST', '/v1/rulesets/v2/approvals', { key: ingestKey, body: { team: 'sales' } })).status).toBe(403);
    expect((await asEditor('GET', '/v1/rulesets/v2')).body.approvals.map((a: { team: string }) => a.team)).toEqual(['marketing']);
  });

  it('refuses an unknown team and an unknown version', async () => {
    const team = await asEditor('POST', '/v1/rulesets/v2/approvals', { team: 'finance' });
    expect(team.status).toBe(400);
    expect(team.body.errors[0].path).toBe('team');
    expect((await asEditor('POST', '/v1/rulesets/v99/approvals', { team: 'marketing' })).status).toBe(404);
  });

  it('refuses to activate a version without both approvals, naming the missing one, and activates once both are in', async () => {
    const refused = await server.call('POST', '/v1/rulesets/v2/activate');
    expect(refused.status).toBe(409);
    expect(refused.type).toContain('application/problem+json');
    expect(refused.body.detail).toBe('v2 needs the approval of sales before its first activation.');
    expect(refused.body.errors).toEqual([{ path: 'approvals', message: 'no approval from sales' }]);
    expect((await asEditor('GET', '/v1/rulesets')).body.active).toBe('v3');

    expect((await approve('v2', 'sales')).status).toBe(201);
    const activated = await server.call('POST', '/v1/rulesets/v2/activate');
    expect(activated.status).toBe(200);
    expect(activated.body.active).toBe('v2');
  });

  it('names both teams when neither approved', async () => {
    const created = await asEditor('POST', '/v1/rulesets', withPodcast('unapproved'));
    const refused = await server.call('POST', `/v1/rulesets/${created.body.version}/activate`);
    expect(refused.status).toBe(409);
    expect(refused.body.errors.map((e: { message: string }) => e.message)).toEqual([
      'no approval from marketing',
      'no approval from sales',
    ]);
  });

  it('lets a new database start on its newest version without approvals', async () => {
    const workspace = await tempWorkspace();
    writeFileSync(join(workspace.rulesDir, 'v2.json'), JSON.stringify({ ...v1, version: 'v2', note: 'newest' }));
    const fresh = await startServer({ workspace });
    try {
      expect((await fresh.call('GET', '/v1/rulesets')).body.active).toBe('v2');
      expect((await fresh.call('GET', '/v1/rulesets/v2')).body.approvals).toEqual([]);
      expect((await fresh.call('GET', '/v1/rulesets/activations')).body.activations).toEqual([
        expect.objectContaining({ slot: 'active', fromVersion: null, toVersion: 'v2', activatedBy: 'system' }),
      ]);
    } finally {
      await fresh.close();
    }
  });

  it('rolls back to a version that was active before without approvals', async () => {
    expect((await asEditor('GET', '/v1/rulesets/v3')).body.approvals).toHaveLength(2);
    const rollback = await server.call('POST', '/v1/rulesets/v1/activate');
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ active: 'v1', activation: { fromVersion: 'v2', toVersion: 'v1' } });
    expect((await server.call('POST', '/v1/rulesets/v3/activate')).status).toBe(200);
  });
});

describe('challenger', () => {
  it('evaluates every live event in shadow with the challenger and stores the results apart', async () => {
    const set = await asEditor('PUT', '/v1/rulesets/challenger', { version: 'v1' });
    expect(set.body).toMatchObject({ active: 'v3', challenger: 'v1' });
    const reply = await server.call('POST', '/v1/events', { key: ingestKey, body: event('listener', 'email_click', 10) });
    expect(reply.body.lead.score.total).toBe(50);
    const shadow = await queryRows(
      server,
      "select event_id, version, score from shadow_results where lead_id = 'listener' order by event_id",
    );
    // The challenger (v1) does not know podcasts: from the lead's history it scores only the click.
    expect(shadow).toEqual([
      { event_id: 'listener-email_click-10', version: 'v1', score: 10 },
      { event_id: 'listener-podcast_listened-0', version: 'v1', score: null },
    ]);
  });

  it('refuses the active version as challenger and clears with null', async () => {
    expect((await asEditor('PUT', '/v1/rulesets/challenger', { version: 'v3' })).status).toBe(409);
    expect((await asEditor('PUT', '/v1/rulesets/challenger', { version: null })).body.challenger).toBeNull();
  });
});
