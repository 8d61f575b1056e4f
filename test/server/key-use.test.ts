/**
 * A key's last use, as GET /v1/keys shows it: recorded when the key is
 * accepted, at most once a minute per key (a request within the minute writes
 * nothing), kept across a restart, and never moved back by an older use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_USE_RECORD_EVERY_MS } from '../../server/config';
import { call, queryRows, removeWorkspace, startServer, tempWorkspace, type TestServer, type Workspace } from './helpers';

const START = Date.parse('2026-06-01T09:00:00.000Z');

/** A clock the test moves by hand. */
function handClock() {
  let at = START;
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

async function lastUseOf(server: TestServer, name: string): Promise<string | null> {
  const reply = await server.call('GET', '/v1/keys');
  expect(reply.status).toBe(200);
  const key = (reply.body.keys as Array<{ name: string; lastUsedAt: string | null }>).find((k) => k.name === name);
  if (!key) throw new Error(`no key named ${name}`);
  return key.lastUsedAt;
}

async function createKey(server: TestServer, name: string, role: string): Promise<{ id: string; key: string; lastUsedAt: unknown }> {
  const created = await server.call('POST', '/v1/keys', { body: { name, role } });
  expect(created.status).toBe(201);
  return created.body;
}

describe('the last use of a key', () => {
  let workspace: Workspace;
  let server: TestServer;
  const clock = handClock();

  beforeAll(async () => {
    workspace = await tempWorkspace();
    server = await startServer({ workspace, keep: true, now: clock.now });
  });
  afterAll(async () => {
    await server.close();
    await removeWorkspace(workspace);
  });

  it('is null for a key never used', async () => {
    const created = await createKey(server, 'unused', 'ingest');
    expect(created.lastUsedAt).toBeNull();
    expect(await lastUseOf(server, 'unused')).toBeNull();
  });

  it('is the time the key was first accepted, and a use within the minute after writes nothing', async () => {
    const { key } = await createKey(server, 'sales desk', 'sales');
    expect((await call(server.url, 'GET', '/v1/me', { key })).status).toBe(200);
    const first = clock.now().toISOString();
    expect(await lastUseOf(server, 'sales desk')).toBe(first);

    clock.advance(KEY_USE_RECORD_EVERY_MS - 1_000);
    expect((await call(server.url, 'GET', '/v1/leads?limit=1', { key })).status).toBe(200);
    expect(await lastUseOf(server, 'sales desk')).toBe(first);
  });

  it('moves on once a minute has passed since the use recorded', async () => {
    const { key } = await createKey(server, 'editor desk', 'editor');
    expect((await call(server.url, 'GET', '/v1/me', { key })).status).toBe(200);
    clock.advance(KEY_USE_RECORD_EVERY_MS);
    expect((await call(server.url, 'GET', '/v1/me', { key })).status).toBe(200);
    expect(await lastUseOf(server, 'editor desk')).toBe(clock.now().toISOString());
  });

  it('is not recorded for a key that is refused (revoked)', async () => {
    const { id, key } = await createKey(server, 'revoked desk', 'sales');
    expect((await server.call('DELETE', `/v1/keys/${id}`)).status).toBe(204);
    expect((await call(server.url, 'GET', '/v1/me', { key })).status).toBe(401);
    expect(await lastUseOf(server, 'revoked desk')).toBeNull();
  });

  it('is kept in the database across a restart, and an older use does not move it back', async () => {
    const { id, key } = await createKey(server, 'kept', 'ingest');
    expect((await call(server.url, 'GET', '/v1/me', { key })).status).toBe(200);
    const used = clock.now().toISOString();
    await server.close();

    // A server whose clock is behind (another server sharing the database, say) records an earlier use.
    server = await startServer({ workspace, keep: true, now: () => new Date(START - 3_600_000) });
    expect((await call(server.url, 'GET', '/v1/me', { key })).status).toBe(200);
    const rows = await queryRows<{ last_used_at: string | null }>(workspace, `select last_used_at from api_keys where id = '${id}'`);
    expect(rows).toEqual([{ last_used_at: used }]);
    expect(await lastUseOf(server, 'kept')).toBe(used);
  });
});
