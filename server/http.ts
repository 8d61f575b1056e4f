/**
 * Declaring a route once: its OpenAPI description, the roles it needs, and
 * the validation of its body, query and path, which turns every problem into
 * a 4xx problem+json naming the field.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { requireRole } from './auth';
import { MAX_BODY_BYTES } from './config';
import type { AppEnv } from './context';
import { ApiProblem, invalid, zodErrors } from './problem';
import { problemSchema } from './api-schemas';
import type { Role } from './store/index';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: Method;
  /** OpenAPI form: `/v1/leads/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** Roles allowed besides admin; omitted for public routes. */
  roles?: Role[];
  body?: B;
  /** The body as documented, when items are validated one by one (batches). */
  docBody?: z.ZodType;
  query?: Q;
  params?: P;
  /** Body size limit in bytes. */
  maxBody?: number;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export interface Input<B, Q, P> {
  body: B;
  query: Q;
  params: P;
}

type Handler<B, Q, P> = (c: Context<AppEnv>, input: Input<B, Q, P>) => Promise<Response> | Response;

/** Reads a JSON body: 415 without a JSON content type, 400 with the parser's message for invalid JSON. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new ApiProblem(415, 'unsupported-media-type', 'Send the body as JSON with "Content-Type: application/json".', [
      { path: 'headers.content-type', message: type ? `"${type}" is not JSON` : 'missing' },
    ]);
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiProblem(400, 'invalid-json', `The body is not valid JSON: ${(error as Error).message}`, [
      { path: '', message: (error as Error).message },
    ]);
  }
}

/** Parses a value with a schema or throws a 400 listing every field at fault. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(zodErrors(result.error.issues, prefix));
  return result.data;
}

const tooLarge = (limit: number) => (c: Context) => {
  // The rest of the body is never read, so this connection cannot carry another request.
  c.header('Connection', 'close');
  throw new ApiProblem(413, 'body-too-large', `The body is larger than the limit of ${limit} bytes.`, [
    { path: '', message: `at most ${limit} bytes` },
  ]);
};

/**
 * Hono's body limit, with a shortcut when Content-Length is declared: the
 * stock middleware touches the request body stream, which makes the Node
 * adapter build a full web Request for every call. Only bodies without a
 * length (chunked) go through the counting middleware. `handle` runs once
 * the body is known to fit.
 */
function limitBody(maxSize: number): (c: Context<AppEnv>, handle: () => Promise<Response>) => Promise<Response> {
  const onError = tooLarge(maxSize);
  const counting = bodyLimit({ maxSize, onError });
  return async (c, handle) => {
    const length = c.req.header('Content-Length');
    if (length === undefined || c.req.header('Transfer-Encoding') !== undefined) {
      await counting(c, async () => {
        c.res = await handle();
      });
      return c.res;
    }
    if (!/^\d+$/.test(length) || Number(length) > maxSize) return onError(c);
    return handle();
  };
}

/** Mounts a route on the app and describes it in the OpenAPI document. */
export function route<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined>(
  app: OpenAPIHono<AppEnv>,
  spec: RouteSpec<B, Q, P>,
  handler: Handler<z.output<B>, z.output<Q>, z.output<P>>,
): void {
  const config: RouteConfig = {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.description && { description: spec.description }),
    ...(spec.roles && { security: [{ bearer: [] }] }),
    request: {
      ...(spec.params && { params: spec.params as never }),
      ...(spec.query && { query: spec.query as never }),
      ...(spec.body && { body: { required: true, content: { 'application/json': { schema: spec.docBody ?? spec.body } } } }),
    },
    responses: Object.fromEntries(
      Object.entries({ ...spec.responses, ...errorResponses(spec) }).map(([status, { description, schema }]) => [
        status,
        {
          description,
          ...(schema && { content: { [Number(status) >= 400 ? 'application/problem+json' : 'application/json']: { schema } } }),
        },
      ]),
    ),
  };
  app.openAPIRegistry.registerPath(config);

  // One handler per route, not a middleware chain: each link of Hono's chain costs a dispatch and a promise per request.
  const withinLimit = spec.body ? limitBody(spec.maxBody ?? MAX_BODY_BYTES) : undefined;
  const authorize = spec.roles ? requireRole(...spec.roles) : undefined;
  const handle = async (c: Context<AppEnv>) => {
    if (authorize) await authorize(c);
    const params = spec.params ? parseWith(spec.params, c.req.param(), 'path') : undefined;
    const query = spec.query ? parseWith(spec.query, c.req.query(), 'query') : undefined;
    const body = spec.body ? parseWith(spec.body, await readJson(c)) : undefined;
    return handler(c, { body, query, params } as Input<z.output<B>, z.output<Q>, z.output<P>>);
  };
  const honoPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
  const mount = app.on.bind(app) as unknown as (method: string, path: string, handler: (c: Context<AppEnv>) => Promise<Response>) => void;
  mount(spec.method.toUpperCase(), honoPath, withinLimit ? (c) => withinLimit(c, () => handle(c)) : handle);
}

function errorResponses(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>): Record<number, { description: string; schema: z.ZodType }> {
  const out: Record<number, { description: string; schema: z.ZodType }> = {};
  if (spec.body || spec.query || spec.params)
    out[400] = { description: 'Invalid request: every field at fault, with its path', schema: problemSchema };
  if (spec.roles) {
    out[401] = { description: 'Missing or unknown API key', schema: problemSchema };
    out[403] = { description: `The key's role is not allowed (allowed: ${[...spec.roles, 'admin'].join(', ')})`, schema: problemSchema };
  }
  if (spec.body) {
    out[413] = { description: 'Body over the size limit', schema: problemSchema };
    out[415] = { description: 'Body is not JSON', schema: problemSchema };
  }
  return out;
}
