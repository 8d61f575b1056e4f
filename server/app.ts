/**
 * The HTTP application: request ids, request logs, problem+json errors, and
 * the routes, over the services of one server. No listening socket here, so
 * tests and other hosts can mount it.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv, Services } from './context';
import { BUSY_RETRY_AFTER_SECONDS } from './config';
import { ApiProblem, problemResponse } from './problem';
import { noteStorageFault, storageFault } from './storage';
import { StoreBusyError } from './store/index';
import { attributeRoutes } from './routes/attributes';
import { comparisonRoutes } from './routes/comparisons';
import { docRoutes } from './routes/docs';
import { eventRoutes } from './routes/events';
import { evaluateRoutes } from './routes/evaluate';
import { feedbackRoutes } from './routes/feedback';
import { healthRoutes } from './routes/health';
import { keyRoutes } from './routes/keys';
import { kpiRoutes } from './routes/kpis';
import { leadRoutes } from './routes/leads';
import { populationRoutes } from './routes/population';
import { ruleSetRoutes } from './routes/rulesets';
import { suggestionRoutes } from './routes/suggestions';
import { webhookRoutes } from './routes/webhooks';

export const API_VERSION = '1.0.0';

const REQUEST_ID_HEADER = 'X-Request-Id';
const MAX_REQUEST_ID_LENGTH = 255;

/** The caller's request id when it is a plain token (as Hono's request-id middleware accepts), else a new one. */
function requestIdOf(given: string | undefined): string {
  return given && given.length <= MAX_REQUEST_ID_LENGTH && !/[^\w\-=]/.test(given) ? given : randomUUID();
}

/** Builds the application over running services. */
export function createApp(services: Services): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const logRequests = services.logger.isLevelEnabled('info');
  // One middleware for what every request needs (a separate one per concern costs a dispatch and a promise each).
  app.use(async (c, next) => {
    const id = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', id);
    c.header(REQUEST_ID_HEADER, id);
    c.set('services', services);
    // Without request logs (--quiet, tests, benchmarks), no entry is built.
    if (!logRequests) return next();
    const started = performance.now();
    await next();
    services.logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        key: c.get('apiKey')?.name,
      },
      'request',
    );
  });

  healthRoutes(app);
  eventRoutes(app);
  leadRoutes(app);
  attributeRoutes(app);
  feedbackRoutes(app);
  evaluateRoutes(app);
  populationRoutes(app);
  ruleSetRoutes(app);
  comparisonRoutes(app);
  suggestionRoutes(app);
  kpiRoutes(app);
  keyRoutes(app);
  webhookRoutes(app);
  docRoutes(app, API_VERSION);

  app.notFound((c) => problemResponse(c, new ApiProblem(404, 'not-found', `No route ${c.req.method} ${c.req.path}.`)));
  app.onError((error, c) => {
    if (error instanceof ApiProblem) return problemResponse(c, error);
    if (error instanceof StoreBusyError) {
      // Nothing of the request was stored; sending it again is safe (event ids make it idempotent).
      services.logger.warn({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'database contended');
      c.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
      return problemResponse(
        c,
        new ApiProblem(503, 'unavailable', 'The database is busy with other writes to the same leads; send the request again.'),
      );
    }
    const fault = storageFault(error);
    if (fault) {
      // Not the request's fault, nor a bug: the operator must act (free space, permissions, restore the file).
      noteStorageFault(services.store, fault, services.now());
      services.logger.error({ err: error, storage: fault.kind, requestId: c.get('requestId'), path: c.req.path }, fault.message);
      return problemResponse(
        c,
        new ApiProblem(503, 'unavailable', `The database cannot be written: ${fault.message}.`, [], { storage: fault.kind }),
      );
    }
    if (error instanceof HTTPException && error.status < 500) {
      return problemResponse(c, new ApiProblem(error.status as 400, 'invalid-request', error.message || 'Invalid request.'));
    }
    // Details stay in the log; the client gets the request id to quote.
    services.logger.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'request failed');
    return problemResponse(
      c,
      new ApiProblem(500, 'internal', 'The server failed to handle the request; quote the instance to the operator.'),
    );
  });
  return app;
}
