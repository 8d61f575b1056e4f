/** Liveness with a database check, for load balancers and operators. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context';
import { route } from '../http';
import { ApiProblem } from '../problem';
import { anyObject } from '../api-schemas';
import { checkStorage, storageFault } from '../storage';

export function healthRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'get',
      path: '/health',
      tag: 'Health',
      summary: 'Whether the server and its database answer, and it can write',
      responses: {
        200: { description: 'Healthy', schema: anyObject },
        503: {
          description: 'The database does not answer or cannot be written (`storage` names the fault: disk full, read-only, file removed…)',
        },
      },
    },
    async (c) => {
      const { store, activation, logger, now } = c.var.services;
      try {
        await store.ping();
      } catch (error) {
        logger.error({ err: error }, 'health check: database does not answer');
        throw new ApiProblem(503, 'unavailable', 'The database does not answer.');
      }
      try {
        await checkStorage(store, now().toISOString());
      } catch (error) {
        const fault = storageFault(error);
        logger.error({ err: error, storage: fault?.kind }, `health check: ${fault?.message ?? 'the database cannot be written'}`);
        throw new ApiProblem(
          503,
          'unavailable',
          `The database cannot be written: ${fault?.message ?? 'unknown cause (see the log)'}.`,
          [],
          {
            storage: fault?.kind ?? 'unknown',
          },
        );
      }
      return c.json({ status: 'ok', database: store.dialect, activeRuleSet: activation.active.version });
    },
  );
}
