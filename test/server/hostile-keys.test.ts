/**
 * Keys an attacker could guess or keep using: a short admin key from the
 * environment, an admin key the operator has since changed, a key past its
 * expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeakAdminKeyError } from '../../server/index';
import { MIN_ADMIN_KEY_LENGTH } from '../../server/config';
import { call, eventually, queryRows, removeWorkspace, startServer, tempWorkspace, type TestServer, type Workspace } from './helpers';

describe('the admin key from the environment', () => {
  let workspace: Workspace;
  beforeAll(async () => {
    workspace = await tempWorkspace();
  });
  afterAll(() => removeWorkspace(workspace));

  it('is refused at start when shorter than the minimum, with a message saying so, and no key is stored', async () => {
    const weak = 'x'.repeat(MIN_ADMIN_KEY_LENGTH - 1);
    const started = startServer({ workspace, keep: true, adminKey: weak });
    await expect(started).rejects.toBeInstanceOf(WeakAdminKeyError);
    await expect(started).rejects.toThrow(
      `LEADFLOW_ADMIN_KEY has ${MIN_ADMIN_KEY_LENGTH - 1} characters; an admin key needs at least ${MIN_ADMIN_KEY_LENGTH}`,
    );
    expect(await queryRows(workspace, 'select id from api_keys')).toEqual([]);
  });

  it('replaces the one given before: the old key stops working', async () => {
    const oldKey = 'old-admin-key-0123456789abcdef';
    const newKey = 'new-admin-key-0123456789abcdef';
    const first = await startServer({ workspace, keep: true, adminKey: oldKey });
    expect((await first.call('GET', '/v1/keys', { key: oldKey })).status).toBe(200);
    await first.close();

    const second = await startServer({ workspace, keep: true, adminKey: newKey });
    try {
      const refused = await second.call('GET', '/v1/keys', { key: oldKey });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ type: '/problems/unauthorized', errors: [{ path: 'headers.authorization' }] });
      const listed = await second.call('GET', '/v1/keys', { key: newKey });
      expect(listed.status).toBe(200);
      const fromEnvironment = listed.body.keys.filter((k: { name: string }) => k.name === 'admin (from LEADFLOW_ADMIN_KEY)');
      expect(fromEnvironment.map((k: { revokedAt: string | null }) => k.revokedAt !== null)).toEqual([true, false]);
    } finally {
      await second.close();
    }
  });

  it('is not brought back by a server started with the old one: that one stays revoked and the new one works', async () => {
    const oldKey = 'old-admin-key-0123456789abcdef';
    const newKey = 'new-admin-key-0123456789abcdef';
    const late = await startServer({ workspace, keep: true, adminKey: oldKey });
    try {
      expect((await late.call('GET', '/v1/keys', { key: oldKey })).status).toBe(401);
      expect((await late.call('GET', '/v1/keys', { key: newKey })).status).toBe(200);
    } finally {
      await late.close();
    }
  });
});

describe('a key with an expiry', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('cannot be created already expired', async () => {
    const before = await queryRows(server, 'select id from api_keys order by id');
    const reply = await server.call('POST', '/v1/keys', { body: { name: 'late', role: 'ingest', expiresAt: '2020-01-01T00:00:00Z' } });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ type: '/problems/invalid-request', errors: [{ path: 'expiresAt' }] });
    expect(await queryRows(server, 'select id from api_keys order by id')).toEqual(before);
  });

  it('works until its expiry, then gets 401 saying it expired', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const created = await server.call('POST', '/v1/keys', { body: { name: 'short-lived', role: 'sales', expiresAt } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'short-lived', expiresAt });
    const key = created.body.key as string;
    expect((await call(server.url, 'GET', '/v1/me', { key })).status).toBe(200);

    await eventually(async () => (await call(server.url, 'GET', '/v1/me', { key })).status === 401, 200);
    const refused = await call(server.url, 'GET', '/v1/leads', { key });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({
      type: '/problems/unauthorized',
      detail: `The API key expired at ${expiresAt}; ask an admin for a new one.`,
      errors: [{ path: 'headers.authorization', message: `key expired at ${expiresAt}` }],
    });
  });
});
