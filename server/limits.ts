/**
 * Checks on what a client sends beyond its schema, made before anything is
 * stored: a value that passes here can be serialised, stored on SQLite and
 * PostgreSQL alike, and ordered by its text. Each check returns the problems
 * it found with their paths, never throws.
 */
import type { FieldError } from './problem';

/**
 * Shape of an event's `properties` (and of a lead's attributes): levels of
 * objects and arrays, the top object counting as one, and size as JSON.
 * Checked before anything is stored, so a value that would exhaust the stack
 * or bloat a row cannot reach a transaction shared with other requests.
 */
export const MAX_PROPERTIES_DEPTH = 32;
export const MAX_PROPERTIES_BYTES = 64 * 1024;

/** A lone UTF-16 surrogate (in `u` mode a well-formed pair is one code point, never Cs): altered when stored. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Control characters (NUL included): invisible, and refused by PostgreSQL in text. */
const CONTROL = /\p{Cc}/u;
/** Characters that show nothing alone: an id made only of these reads as empty. */
const INVISIBLE = /^[\s\p{Cf}]*$/u;

/** Problem with an identifier (event id, lead id, type): well-formed Unicode, no control characters, something visible. */
export function identifierProblem(value: string): string | undefined {
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (it has a lone surrogate)';
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (INVISIBLE.test(value)) return 'must contain a visible character';
  return undefined;
}

/** First instant stored times may have, and the first they may not: years 0001 to 9999 in UTC. */
export const EARLIEST_TIME = Date.parse('0001-01-01T00:00:00.000Z');
export const TIME_AFTER_LAST = Date.parse('+010000-01-01T00:00:00.000Z');

export const TIME_RANGE = 'must be between 0001-01-01 and 9999-12-31 in UTC (after applying the offset)';

/**
 * Problem with an instant (epoch ms): outside 0001–9999 UTC its ISO spelling
 * has six-digit years, which would sort out of time order as text.
 */
export function instantProblem(time: number): string | undefined {
  if (Number.isNaN(time)) return 'not a real time';
  if (time < EARLIEST_TIME || time >= TIME_AFTER_LAST) return TIME_RANGE;
  return undefined;
}

/**
 * Every limit an event must meet to be stored: its identifiers, its instant
 * (`time`, epoch ms of `occurredAt`) and its properties; paths through `at`.
 */
export function eventLimitProblems(
  event: { id: string; leadId: string; type: string; occurredAt: string; properties: Record<string, unknown> },
  time: number,
  at: (field: string) => string,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of ['id', 'leadId', 'type'] as const) {
    const problem = identifierProblem(event[field]);
    if (problem) errors.push({ path: at(field), message: problem });
  }
  const timeProblem = instantProblem(time);
  if (timeProblem) errors.push({ path: at('occurredAt'), message: `${timeProblem}: "${event.occurredAt}"` });
  errors.push(...payloadProblems(event.properties, at('properties')));
  return errors;
}

/**
 * Problems with a JSON object of free-form values (`properties`,
 * attributes): nested at most {@link MAX_PROPERTIES_DEPTH} levels, at most
 * {@link MAX_PROPERTIES_BYTES} as JSON, finite numbers only (a number too
 * large for a double, like 1e999, arrives as Infinity and would be stored as null).
 */
export function payloadProblems(value: Record<string, unknown>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const deepest = walk(value, path, 0, errors);
  if (deepest > MAX_PROPERTIES_DEPTH) {
    return [{ path, message: `nested deeper than ${MAX_PROPERTIES_DEPTH} levels` }];
  }
  if (errors.length > 0) return errors;
  // Depth is bounded by now, so this cannot exhaust the stack.
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_PROPERTIES_BYTES) errors.push({ path, message: `larger than ${MAX_PROPERTIES_BYTES} bytes as JSON (${bytes})` });
  return errors;
}

/** Records non-finite numbers and returns the deepest level reached, stopping one past the limit. */
function walk(value: unknown, path: string, depth: number, errors: FieldError[], max = MAX_PROPERTIES_DEPTH): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) errors.push({ path, message: 'must be a finite number' });
    return depth;
  }
  if (typeof value !== 'object' || value === null) return depth;
  if (depth >= max) return depth + 1;
  let deepest = depth;
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item, i) => [`[${i}]`, item])
    : Object.entries(value).map(([key, item]) => [`.${key}`, item]);
  for (const [step, item] of entries) {
    deepest = Math.max(deepest, walk(item, path + step, depth + 1, errors, max));
    if (deepest > max) break;
  }
  return deepest;
}

/**
 * Levels of objects and arrays an unsaved rule set may have: its structure
 * and conditions nested up to the engine's MAX_LOGIC_DEPTH, with room to spare.
 */
export const MAX_RULE_SET_DEPTH = 100;

/** A problem when `value` nests deeper than `max` levels (checked without recursing past them). */
export function nestingProblem(value: unknown, path: string, max: number): FieldError | undefined {
  return walk(value, path, 0, [], max) > max ? { path, message: `nested deeper than ${max} levels` } : undefined;
}

/**
 * One `POST /v1/evaluate` request: steps all its rule evaluations may take
 * together (see engine/logic.ts; one condition may take up to
 * MAX_LOGIC_STEPS on its own), its wall time on a worker thread, and that
 * thread's heap. A request over a limit gets 422 naming it.
 */
export const EVALUATE_MAX_STEPS = 20_000_000;
export const EVALUATE_MAX_MS = 5_000;
export const EVALUATE_MAX_HEAP_MB = 256;
/** Evaluation worker threads at most (and one fewer than the CPUs, so one stays with the requests). */
export const EVALUATE_MAX_WORKERS = 2;
/** Evaluations waiting for a worker at most; beyond, a request gets 503 with Retry-After. */
export const EVALUATE_MAX_QUEUED = 64;

/**
 * One population request: its wall time and the heap of its worker thread
 * (which keeps the sample's histories between requests). Each lead's history
 * has the step budget of one evaluation request, EVALUATE_MAX_STEPS.
 */
export const POPULATION_MAX_MS = 10_000;
export const POPULATION_MAX_HEAP_MB = 1_024;
/** Population requests waiting for the worker at most; beyond, 503 with Retry-After. */
export const POPULATION_MAX_QUEUED = 8;
