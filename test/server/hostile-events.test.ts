/**
 * Hostile events: values that pass the event schema but could not be stored
 * (or would be stored altered), ids reused across leads, and one bad event
 * among many committed together. Each refusal names the field and leaves the
 * database as it was.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PROPERTIES_BYTES, MAX_PROPERTIES_DEPTH } from '../../server/limits';
import pg from 'pg';
import type { LeadEvent } from '../../engine/index';
import { checkRecord } from '../../server/import/format';
import { openHistory } from '../../server/index';
import { event, PG_URL, queryRows, removeWorkspace, startServer, tempWorkspace, type TestServer, type Workspace } from './helpers';

let server: TestServer;
let ingestKey: string;

beforeAll(async () => {
  server = await startServer();
  ingestKey = await server.key('ingest');
});
afterAll(() => server.close());

const post = (path: string, body: unknown) => server.call('POST', path, { key: ingestKey, body });
const postRaw = (path: string, raw: string) => server.call('POST', path, { key: ingestKey, raw });

/** Everything stored about events and leads, to compare before and after a refused request. */
async function stored(): Promise<unknown> {
  const events = await queryRows(server, 'select id, lead_id, occurred_at, properties from events order by id');
  const leads = await queryRows(server, 'select id, state from leads order by id');
  return { events, leads };
}

/** `levels` objects nested inside properties: `{ a: { a: … } }`. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** An event as JSON text whose properties nest `levels` objects (built as text: too deep for JSON.stringify). */
function deepEventJson(e: ReturnType<typeof event>, levels: number): string {
  return JSON.stringify(e).replace('"properties":{}', `"properties":${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`);
}

/** Expects a 400 problem naming `path`, and nothing stored changed. */
async function expectRefused(send: () => Promise<{ status: number; type: string; body: any }>, path: string, message: RegExp) {
  const before = await stored();
  const reply = await send();
  expect(reply.status).toBe(400);
  expect(reply.type).toContain('application/problem+json');
  expect(reply.body).toMatchObject({ status: 400, type: '/problems/invalid-request' });
  expect(reply.body.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  expect(await stored()).toEqual(before);
}

describe('event values that cannot be stored as sent', () => {
  it('refuses properties nested deeper than the limit, without exhausting the stack', async () => {
    await expectRefused(
      () => postRaw('/v1/events', deepEventJson(event('deep', 'email_click', 0), 4_200)),
      'properties',
      /nested deeper than/,
    );
  });

  it('accepts properties nested exactly to the limit', async () => {
    const reply = await post('/v1/events', event('deep-ok', 'email_click', 0, { properties: nested(MAX_PROPERTIES_DEPTH - 1) }));
    expect(reply.status).toBe(201);
  });

  it('refuses properties larger than the size limit', async () => {
    const properties = { note: 'x'.repeat(MAX_PROPERTIES_BYTES) };
    await expectRefused(() => post('/v1/events', event('large', 'email_click', 0, { properties })), 'properties', /larger than/);
  });

  it('refuses a number too large for a double (1e999 arrives as Infinity)', async () => {
    const raw = JSON.stringify(event('infinite', 'email_click', 0)).replace('"properties":{}', '"properties":{"employees":1e999}');
    await expectRefused(() => postRaw('/v1/events', raw), 'properties.employees', /finite number/);
  });

  it('refuses a NUL in an event id', async () => {
    await expectRefused(() => post('/v1/events', event('nul', 'email_click', 0, { id: 'evt\u0000a' })), 'id', /control characters/);
  });

  it('refuses a lone surrogate in an event id (it would be stored altered and collide)', async () => {
    await expectRefused(() => post('/v1/events', event('surrogate', 'email_click', 0, { id: 'evt-\ud800' })), 'id', /well-formed Unicode/);
  });

  it('refuses a whitespace-only lead id', async () => {
    await expectRefused(() => post('/v1/events', event('blank', 'email_click', 0, { leadId: '  \u200b ' })), 'leadId', /visible character/);
  });

  it('refuses times whose instant falls after 9999 UTC once the offset is applied', async () => {
    const e = event('far', 'email_click', 0, { occurredAt: '9999-12-31T23:00:00-05:00' });
    await expectRefused(() => post('/v1/events', e), 'occurredAt', /between 0001-01-01 and 9999-12-31/);
  });

  it('refuses times before year 1 UTC', async () => {
    const e = event('early', 'email_click', 0, { occurredAt: '0001-01-01T00:30:00+01:00' });
    await expectRefused(() => post('/v1/events', e), 'occurredAt', /between 0001-01-01 and 9999-12-31/);
  });

  it('names the bad item of a batch by index and stores the good ones', async () => {
    const items = [JSON.stringify(event('batch-deep', 'email_click', 0)), deepEventJson(event('batch-deep', 'email_open', 1), 4_200)];
    const reply = await postRaw('/v1/events/batch', `{"events":[${items.join(',')}]}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ received: 2, stored: 1, rejected: 1 });
    expect(reply.body.errors).toEqual([{ path: 'events[1].properties', message: expect.stringMatching(/nested deeper than/) }]);
  });

  it('refuses deep attributes', async () => {
    const before = await stored();
    const reply = await server.call('PUT', '/v1/leads/attr-deep/attributes', { key: ingestKey, body: { attributes: nested(100) } });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toContainEqual({ path: 'properties', message: expect.stringMatching(/nested deeper than/) });
    expect(await stored()).toEqual(before);
  });
});

describe('the OpenAPI document', () => {
  it('states the limits of events and attributes', async () => {
    const document = (await server.call('GET', '/openapi.json', { key: null })).body;
    const limits = [`${MAX_PROPERTIES_DEPTH} levels`, `${MAX_PROPERTIES_BYTES} bytes`, 'finite numbers only'];
    for (const limit of limits) {
      expect(document.components.schemas.LeadEvent.description).toContain(limit);
      expect(document.components.schemas.AttributesUpdate.properties.attributes.description).toContain(limit);
    }
    expect(document.components.schemas.LeadEvent.description).toContain('0001-01-01 to 9999-12-31 UTC');
  });
});

describe('import records', () => {
  it('meet the same limits as events sent to the API', () => {
    const far = checkRecord(event('import', 'email_click', 0, { occurredAt: '9999-12-31T23:00:00-05:00' }));
    expect(far).toEqual({ ok: false, reason: expect.stringMatching(/^occurredAt: must be between 0001-01-01 and 9999-12-31/) });
    const nul = checkRecord(event('import', 'email_click', 0, { id: 'a\u0000b' }));
    expect(nul).toEqual({ ok: false, reason: 'id: must not contain control characters' });
  });
});

describe('times in queries, compared as instants', () => {
  it('reads updatedSince with an offset as the instant it names', async () => {
    const salesKey = await server.key('sales');
    expect((await post('/v1/events', event('recent', 'email_click', 0))).status).toBe(201);
    // An hour from now, spelled at -05:00: as text it sorts before every stored update, as an instant after all of them.
    const later = new Date(Date.now() + 3_600_000 - 5 * 3_600_000).toISOString().replace(/\.\d+Z$/, '-05:00');
    const reply = await server.call('GET', `/v1/leads?updatedSince=${encodeURIComponent(later)}`, { key: salesKey });
    expect(reply.status).toBe(200);
    expect(reply.body.leads).toEqual([]);
  });

  it('refuses a KPI period ending after 9999 UTC', async () => {
    const salesKey = await server.key('sales');
    const to = encodeURIComponent('9999-12-31T23:00:00-05:00');
    const reply = await server.call('GET', `/v1/kpis?from=2026-01-01T00:00:00Z&to=${to}`, { key: salesKey });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toContainEqual({
      path: expect.stringContaining('to'),
      message: expect.stringMatching(/between 0001-01-01 and 9999-12-31/),
    });
  });
});

describe('an event id reused for another lead', () => {
  it('is a conflict that shows neither lead', async () => {
    const secret = event('victim', 'lead_updated', 0, { id: 'victim-attrs', properties: { company: 'Secret Corp', name: 'Jane Victim' } });
    expect((await post('/v1/events', secret)).status).toBe(201);
    const mine = event('attacker', 'email_click', 0, { id: 'attacker-1' });
    expect((await post('/v1/events', mine)).status).toBe(201);
    const before = await stored();

    const reply = await post('/v1/events', { ...mine, id: 'victim-attrs' });
    expect(reply.status).toBe(409);
    expect(reply.type).toContain('application/problem+json');
    expect(reply.body).toMatchObject({ status: 409, errors: [{ path: 'id', message: 'already used by an event of another lead' }] });
    expect(reply.body.lead).toBeUndefined();
    expect(JSON.stringify(reply.body)).not.toMatch(/Secret Corp|Jane Victim|victim"/);
    expect(await stored()).toEqual(before);
  });

  it('is reported by index in a batch, with nothing of it stored', async () => {
    const before = await stored();
    const reply = await post('/v1/events/batch', { events: [event('attacker', 'email_open', 5, { id: 'victim-attrs' })] });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ stored: 0, duplicates: 0, rejected: 1, results: [] });
    expect(reply.body.errors).toEqual([{ path: 'events[0].id', message: 'already used by an event of another lead' }]);
    expect(JSON.stringify(reply.body)).not.toMatch(/Secret Corp|victim"/);
    expect(await stored()).toEqual(before);
  });

  it('is a conflict inside one batch too: the first lead keeps the id', async () => {
    const reply = await post('/v1/events/batch', {
      events: [event('twin-a', 'email_click', 0, { id: 'twin' }), event('twin-b', 'email_click', 0, { id: 'twin' })],
    });
    expect(reply.body).toMatchObject({ stored: 1, rejected: 1, errors: [{ path: 'events[1].id' }] });
    expect(await queryRows(server, "select lead_id from events where id = 'twin'")).toEqual([{ lead_id: 'twin-a' }]);
  });

  it("a duplicate of the caller's own event shows only the caller's lead", async () => {
    const reply = await post('/v1/events', event('attacker', 'email_click', 0, { id: 'attacker-1' }));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'duplicate', leadId: 'attacker', lead: { id: 'attacker' } });
  });
});

/** Runs DDL on a workspace's database directly. */
async function execute(workspace: Workspace, statements: string): Promise<void> {
  if (!PG_URL) {
    const db = new Database(workspace.db);
    db.exec(statements);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: workspace.db });
  await client.connect();
  await client.query(statements).finally(() => client.end());
}

const POISON = PG_URL
  ? `create function poison() returns trigger language plpgsql as $$ begin if new.id = 'poison' then raise exception 'poisoned'; end if; return new; end $$;
     create trigger poison before insert on events for each row execute function poison()`
  : "create trigger poison before insert on events when new.id = 'poison' begin select raise(abort, 'poisoned'); end";

// A fault injected with a trigger: an event that passes every check and still fails while stored.
describe('an event that fails while stored, among single events committed together', () => {
  it('fails only its own submission: the others of its group are stored', async () => {
    const workspace = await tempWorkspace();
    const history = await openHistory({ db: workspace.db, rulesDir: workspace.rulesDir });
    try {
      await execute(workspace, POISON);
      const submit = (e: ReturnType<typeof event>) => history.ingestion.submit({ event: e as LeadEvent, recordedBy: 'test' });
      // Submitted in one turn of the event loop: one group, one transaction at first.
      const innocent = Array.from({ length: 30 }, (_, i) => event(`group-${i}`, 'email_click', 0));
      const results = await Promise.allSettled([
        ...innocent.slice(0, 15).map(submit),
        submit(event('group-poison', 'email_click', 0, { id: 'poison' })),
        ...innocent.slice(15).map(submit),
      ]);
      const poisoned = results.splice(15, 1)[0]!;
      expect(poisoned.status).toBe('rejected');
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value.status : r.status))).toEqual(innocent.map(() => 'stored'));
      const rows = await queryRows<{ n: number }>(workspace, "select count(*) as n from events where lead_id like 'group-%'");
      expect(Number(rows[0]!.n)).toBe(30);
    } finally {
      await history.close();
      await removeWorkspace(workspace);
    }
  });
});
