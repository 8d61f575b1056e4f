/**
 * Errors as RFC 9457 problem details (`application/problem+json`), each with
 * the list of fields at fault: `errors: [{ path, message }]`, where a batch
 * item's path starts with its index (`events[3].occurredAt`).
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface FieldError {
  path: string;
  message: string;
}

export const PROBLEM_TYPES = {
  'invalid-request': 'Invalid request',
  'invalid-json': 'Body is not valid JSON',
  'unsupported-media-type': 'Body must be JSON',
  'body-too-large': 'Body too large',
  'invalid-rule-set': 'Invalid rule set',
  'failing-cases': 'Cases of the rule set fail',
  'evaluation-limit': 'Evaluation over its limit',
  unauthorized: 'Missing or unknown API key',
  forbidden: 'API key lacks the role for this request',
  'not-found': 'Not found',
  conflict: 'Conflict',
  unavailable: 'Service unavailable',
  internal: 'Internal error',
} as const;
export type ProblemType = keyof typeof PROBLEM_TYPES;

/** A problem to send to the client; thrown anywhere in a request, rendered by the app's error handler. */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: ProblemType,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export const invalid = (errors: FieldError[], detail = describe(errors)) => new ApiProblem(400, 'invalid-request', detail, errors);
export const notFound = (detail: string) => new ApiProblem(404, 'not-found', detail);
export const conflict = (detail: string, errors: FieldError[] = []) => new ApiProblem(409, 'conflict', detail, errors);

function describe(errors: FieldError[]): string {
  const first = errors[0];
  if (!first) return 'The request is invalid.';
  const where = first.path ? `${first.path}: ` : '';
  return errors.length === 1 ? `${where}${first.message}` : `${where}${first.message} (and ${errors.length - 1} more)`;
}

/** Renders a problem; `instance` is the request id, so a client can quote it in a support request. */
export function problemResponse(c: Context, problem: ApiProblem): Response {
  const body = {
    type: `/problems/${problem.type}`,
    title: PROBLEM_TYPES[problem.type],
    status: problem.status,
    detail: problem.detail,
    instance: `urn:request:${c.get('requestId') ?? 'unknown'}`,
    errors: problem.errors,
    ...problem.extra,
  };
  return c.body(JSON.stringify(body), problem.status, { 'Content-Type': 'application/problem+json' });
}

/** Renders a zod issue path (`['events', 3, 'type']`) as `events[3].type`. */
export function jsonPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Field errors from a zod error, each path under `prefix`. */
export function zodErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix = ''): FieldError[] {
  return issues.map((issue) => ({ path: jsonPath(issue.path, prefix), message: issue.message }));
}
