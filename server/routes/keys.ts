/** API keys: who the caller's key is (any role); list, create (the key is shown once), revoke (admin). */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { keyBody, keyIdParams, keyView } from '../api-schemas';
import type { AppEnv } from '../context';
import { route } from '../http';
import { invalid, notFound } from '../problem';
import { ROLES } from '../store/index';

export function keyRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'get',
      path: '/v1/me',
      tag: 'API keys',
      summary: "The calling key's name and role, so a client can show who is signed in and what they may do",
      roles: ['ingest', 'sales', 'editor'],
      responses: { 200: { description: 'The key', schema: z.object({ name: z.string(), role: z.enum(ROLES) }) } },
    },
    async (c) => c.json({ name: c.var.apiKey!.name, role: c.var.apiKey!.role }),
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/keys',
      tag: 'API keys',
      summary: 'List keys (never the keys themselves)',
      roles: [],
      responses: { 200: { description: 'Keys', schema: z.object({ keys: z.array(keyView) }) } },
    },
    async (c) => c.json({ keys: await c.var.services.store.keys.listKeys() }),
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/keys',
      tag: 'API keys',
      summary: 'Create a key with a role; the reply is the only time the key is shown',
      roles: [],
      body: keyBody,
      responses: { 201: { description: 'Created', schema: keyView.extend({ key: z.string() }) } },
    },
    async (c, { body }) => {
      const now = c.var.services.now();
      const expiresAt = body.expiresAt === undefined ? null : new Date(Date.parse(body.expiresAt));
      if (expiresAt && (expiresAt.getTime() <= now.getTime() || Number.isNaN(expiresAt.getTime()))) {
        throw invalid([{ path: 'expiresAt', message: `must be a time after now (${now.toISOString()})` }]);
      }
      const { record, key } = await c.var.services.keys.create(body.name, body.role, now.toISOString(), {
        expiresAt: expiresAt && expiresAt.toISOString(),
      });
      return c.json({ ...record, key }, 201);
    },
  );

  route(
    app,
    {
      method: 'delete',
      path: '/v1/keys/{id}',
      tag: 'API keys',
      summary: 'Revoke a key',
      roles: [],
      params: keyIdParams,
      responses: { 204: { description: 'Revoked' }, 404: { description: 'No such active key' } },
    },
    async (c, { params }) => {
      if (!(await c.var.services.keys.revoke(params.id, c.var.services.now().toISOString())))
        throw notFound(`No active key "${params.id}".`);
      return c.body(null, 204);
    },
  );
}
