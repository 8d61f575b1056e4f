import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type SettingsChange } from '../../server/store/index';
import { PG_URL, event, eventually, queryRows, startServer, tempWorkspace, type TestServer } from './helpers';

// Two servers on one PostgreSQL database (a SQLite file takes one server:
// server-lock.test.ts): each keeps the lead states it wrote, and must notice
// when the other has written a lead since.
let first: TestServer;
let second: TestServer;

beforeAll(async () => {
  if (!PG_URL) return;
  const workspace = await tempWorkspace();
  first = await startServer({ workspace, keep: true });
  second = await startServer({ workspace });
});
afterAll(async () => {
  await first?.close();
  await second?.close();
});

const post = (server: TestServer, body: unknown) => server.call('POST', '/v1/events', { body });

describe.runIf(PG_URL)('two servers on one database', () => {
  it('evaluates a lead on its stored state after the other server wrote it', async () => {
    await post(first, event('shared', 'email_open', 0));
    await post(second, event('shared', 'email_click', 10));
    const reply = await post(first, event('shared', 'email_open', 20));
    expect(reply.status).toBe(201);
    expect(reply.body.lead.eventCount).toBe(3);
    expect(reply.body.explanation.score.before.engagement).toBe(15);
  });

  it('gives the same lead whether its state came from memory or from the database', async () => {
    const types = ['email_open', 'site_visit', 'email_click', 'webinar_attended', 'email_open', 'site_visit'];
    let fromMemory;
    let fromDatabase;
    for (const [i, type] of types.entries()) {
      // One lead always on the first server (its own writes), the other alternating between both.
      fromMemory = (await post(first, event('memory', type, i * 600))).body.lead;
      fromDatabase = (await post(i % 2 === 0 ? first : second, event('database', type, i * 600))).body.lead;
    }
    expect({ ...fromDatabase, id: 'memory' }).toEqual(fromMemory);
  });
});

describe.runIf(PG_URL)('shared settings on two servers', () => {
  it('notifies every server when keys or rule sets change through one of them', async () => {
    const store = await openStore(second.db);
    const notices: SettingsChange[] = [];
    let heard!: () => void;
    const bothHeard = new Promise<void>((resolve) => (heard = resolve));
    const stop = await store.settings.subscribe((change) => {
      if (change === 'missed') return;
      notices.push(change);
      if (notices.includes('keys') && notices.includes('activation')) heard();
    });
    try {
      await first.key('sales');
      await first.call('PUT', '/v1/rulesets/challenger', { body: { version: null } });
      await bothHeard;
      expect(notices).toEqual(['keys', 'activation']);
    } finally {
      await stop();
      await store.close();
    }
  });

  it('reads everything again when its listener reconnects, and hears notices after', async () => {
    const store = await openStore(second.db);
    const heard: string[] = [];
    let reconnected!: () => void;
    const missedAgain = new Promise<void>((resolve) => (reconnected = resolve));
    let keysHeard!: () => void;
    const keysAgain = new Promise<void>((resolve) => (keysHeard = resolve));
    const stop = await store.settings.subscribe((change) => {
      heard.push(change);
      if (change === 'missed' && heard.filter((c) => c === 'missed').length === 2) reconnected();
      if (change === 'keys' && heard.includes('missed', 1)) keysHeard();
    });
    try {
      // Every listener on this database loses its connection (the servers' too).
      await queryRows(
        second,
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'listen %'",
      );
      await missedAgain;
      await first.key('sales');
      await keysAgain;
      expect(heard.slice(0, 2)).toEqual(['missed', 'missed']);
    } finally {
      await stop();
      await store.close();
    }
  });

  it('takes up a challenger set through the other server', async () => {
    const v1 = JSON.parse(readFileSync(join(first.rulesDir, 'v1.json'), 'utf8'));
    writeFileSync(join(first.rulesDir, 'v2.json'), JSON.stringify({ ...v1, version: 'v2', note: 'challenger' }), { flag: 'wx' });
    expect((await first.call('PUT', '/v1/rulesets/challenger', { body: { version: 'v2' } })).status).toBe(200);
    await eventually(async () => (await second.call('GET', '/v1/rulesets')).body.challenger === 'v2');
    // The other server now evaluates its events in shadow with the challenger too.
    expect((await post(second, event('shadowed', 'email_open', 0))).status).toBe(201);
    const shadow = await queryRows(second, "select version from shadow_results where lead_id = 'shadowed'");
    expect(shadow).toEqual([{ version: 'v2' }]);
  });

  it('refuses a key revoked through the other server', async () => {
    const created = await first.call('POST', '/v1/keys', { body: { name: 'short-lived', role: 'sales' } });
    const asSales = { key: created.body.key as string };
    expect((await second.call('GET', '/v1/leads', asSales)).status).toBe(200);
    expect((await first.call('DELETE', `/v1/keys/${created.body.id}`)).status).toBe(204);
    await eventually(async () => (await second.call('GET', '/v1/leads', asSales)).status === 401);
  });
});
