/** Liveness with a database check, for load balancers and operators. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context';
import { route } from '../http';
import { ApiProblem } from '../problem';
import { anyObject } from '../api-schemas';

export function healthRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'get',
      path: '/health',
      tag: 'Health',
      summary: 'Whether the server and its database answer',
      responses: { 200: { description: 'Healthy', schema: anyObject }, 503: { description: 'The database does not answer' } },
    },
    async (c) => {
      const { store, activation, logger } = c.var.services;
      try {
        await store.ping();
      } catch (error) {
        logger.error({ err: error }, 'health check: database does not answer');
        throw new ApiProblem(503, 'unavailable', 'The database does not answer.');
      }
      return c.json({ status: 'ok', database: store.dialect, activeRuleSet: activation.active.version });
    },
  );
}
