/**
 * JSON-Logic evaluation and compilation.
 *
 * Semantics follow json-logic-js 2.0.5, the project's reference, operator by
 * operator. Rules are compiled once into a tree of closures — never into source
 * text — so no string in a rule or in the data can become code, and a compiled
 * rule skips the per-node key inspection an interpreter repeats on every call.
 *
 * Deliberate differences from json-logic-js, all in the direction of safety:
 * - `var` reads only own properties, so `__proto__`, `constructor` and
 *   `prototype` resolve like any missing key (to the default or null);
 * - `log` returns its argument without printing (evaluation stays pure);
 * - nesting deeper than {@link MAX_LOGIC_DEPTH} and rules larger than
 *   {@link MAX_LOGIC_NODES} are refused with an error instead of exhausting the stack;
 * - an evaluation that does more than {@link MAX_LOGIC_STEPS} steps of work stops
 *   with an error instead of hanging.
 * Like json-logic-js, `missing` and `missing_some` evaluate keys that are rules
 * (the keys may come from data); they go through this same compiler, limits included.
 * Rule sets may also use the custom operations in {@link CUSTOM_OPERATIONS}.
 */

/** Deepest nesting of operations a rule may have. */
export const MAX_LOGIC_DEPTH = 64;
/** Largest number of nodes (operations, literals, array items) in one rule. */
export const MAX_LOGIC_NODES = 20_000;
/**
 * Work one evaluation may do: items visited by map/filter/reduce/all/some/none
 * and missing, items and characters produced by merge and cat. Nested loops over
 * data would otherwise let a small rule run for hours or exhaust memory.
 */
export const MAX_LOGIC_STEPS = 10_000_000;

let stepsLeft = MAX_LOGIC_STEPS;

/**
 * A budget every evaluation inside {@link withLogicBudget} draws on, beside
 * its own: the per-evaluation budget starts again for every rule on every
 * event, so it alone does not bound a request that evaluates many of them.
 */
let shared: { left: number; limit: number } | null = null;

/** Counts work against the current evaluation's budget (and the shared one, if any). */
function spend(steps: number): void {
  stepsLeft -= steps;
  if (stepsLeft < 0) throw new LogicError(`evaluation exceeded ${MAX_LOGIC_STEPS} steps`);
  if (shared) spendShared(steps);
}

function spendShared(steps: number): void {
  shared!.left -= steps;
  if (shared!.left < 0) throw new LogicBudgetError(shared!.limit);
}

/**
 * Runs `work` with one budget of `steps` for every rule evaluated inside it:
 * the loop work counted by each evaluation, plus each evaluation's size in
 * nodes (so many small rules on many events count too). Throws
 * {@link LogicBudgetError} when the budget runs out.
 */
export function withLogicBudget<T>(steps: number, work: () => T): T {
  const outer = shared;
  shared = { left: steps, limit: steps };
  try {
    return work();
  } finally {
    shared = outer;
  }
}

const MS_PER_DAY = 86_400_000;

/** A JSON-Logic rule: any JSON value; objects with one key are operations. */
export type Logic = unknown;

/** A compiled rule: evaluates against data, may throw as json-logic-js would. */
export type CompiledLogic = (data: unknown) => unknown;

/** A problem found while compiling a rule, with its path inside the rule. */
export interface LogicProblem {
  path: string;
  message: string;
}

type Args = unknown[];

/** JSON-Logic truthiness: JavaScript's, except that an empty array is false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value) && value.length === 0) return false;
  return !!value;
}

function hasOwn(target: unknown, key: string): boolean {
  if (target === null || target === undefined) return false;
  if (typeof target === 'object' || typeof target === 'string') return Object.hasOwn(target as object, key);
  return false;
}

/** Reads a dotted path from data, own properties only. */
function readVar(data: unknown, path: unknown, notFound: unknown): unknown {
  const fallback = notFound === undefined ? null : notFound;
  if (path === undefined || path === '' || path === null) return data;
  const parts = String(path).split('.');
  let current: unknown = data;
  for (const part of parts) {
    if (current === null || current === undefined) return fallback;
    if (!hasOwn(current, part)) return fallback;
    current = (current as Record<string, unknown>)[part];
    if (current === undefined) return fallback;
  }
  return current;
}

/** json-logic-js reads each key as the arguments of `var`, so an array or object key is itself evaluated. */
function missing(data: unknown, args: Args): unknown[] {
  const keys = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  spend(keys.length);
  const result: unknown[] = [];
  for (const key of keys) {
    const value = typeof key === 'object' && key !== null ? evaluateNested({ var: key }, data) : readVar(data, key, undefined);
    if (value === null || value === '') result.push(key);
  }
  return result;
}

function toTime(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Date.parse(value);
  return NaN;
}

/** Whole and fractional days from `from` to `to` (ISO strings or epoch ms); null when either is not a date. */
function daysBetween(from: unknown, to: unknown): number | null {
  const a = toTime(from);
  const b = toTime(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return (b - a) / MS_PER_DAY;
}

// "==" and "!=" are loose on purpose: that is what JSON-Logic defines.
const OPERATIONS: Record<string, (data: unknown, args: Args) => unknown> = {
  '==': (_, [a, b]) => a == b,
  '===': (_, [a, b]) => a === b,
  '!=': (_, [a, b]) => a != b,
  '!==': (_, [a, b]) => a !== b,
  '>': (_, [a, b]) => (a as number) > (b as number),
  '>=': (_, [a, b]) => (a as number) >= (b as number),
  '<': (_, [a, b, c]) => (c === undefined ? (a as number) < (b as number) : (a as number) < (b as number) && (b as number) < (c as number)),
  '<=': (_, [a, b, c]) =>
    c === undefined ? (a as number) <= (b as number) : (a as number) <= (b as number) && (b as number) <= (c as number),
  '!!': (_, [a]) => truthy(a),
  '!': (_, [a]) => !truthy(a),
  '%': (_, [a, b]) => (a as number) % (b as number),
  log: (_, [a]) => a,
  in: (_, [a, b]) => {
    if (!b || typeof (b as { indexOf?: unknown }).indexOf === 'undefined') return false;
    return (b as { indexOf(x: unknown): number }).indexOf(a) !== -1;
  },
  cat: (_, args) => {
    const text = args.join('');
    spend(text.length);
    return text;
  },
  substr: (_, [source, start, end]) => {
    if ((end as number) < 0) {
      const temp = String(source).substr(start as number);
      return temp.substr(0, temp.length + (end as number));
    }
    return String(source).substr(start as number, end as number);
  },
  '+': (_, args) => args.reduce<number>((a, b) => parseFloat(a as unknown as string) + parseFloat(b as string), 0),
  '*': (_, args) => (args as number[]).reduce((a, b) => parseFloat(a as unknown as string) * parseFloat(b as unknown as string)),
  '-': (_, [a, b]) => (b === undefined ? -(a as number) : (a as number) - (b as number)),
  '/': (_, [a, b]) => (a as number) / (b as number),
  min: (_, args) => Math.min(...(args as number[])),
  max: (_, args) => Math.max(...(args as number[])),
  merge: (_, args) =>
    args.reduce<unknown[]>((a, b) => {
      const merged = a.concat(b);
      spend(merged.length);
      return merged;
    }, []),
  var: (data, [path, notFound]) => readVar(data, path, notFound),
  missing: (data, args) => missing(data, args),
  missing_some: (data, [needCount, options]) => {
    // json-logic-js evaluates {"missing": options} as a rule, so rule-like options are evaluated again.
    const areMissing = evaluateNested({ missing: options }, data) as unknown[];
    return (options as unknown[]).length - areMissing.length >= (needCount as number) ? [] : areMissing;
  },
  // Custom operations (documented in the README).
  days_between: (_, [from, to]) => daysBetween(from, to),
  days_since: (data, [from]) => daysBetween(from, readVar(data, 'now', undefined)),
};

/** Operations a rule set may use beyond the JSON-Logic standard set. */
export const CUSTOM_OPERATIONS: Record<string, string> = {
  days_between: '{"days_between": [from, to]}: days from one date to another (fractional; null if either is not a date).',
  days_since: '{"days_since": [date]}: days from a date to the evaluation time (`now`, the event time); null if not a date.',
};

/** Names of every operation the evaluator knows. */
export const OPERATION_NAMES: readonly string[] = [
  ...Object.keys(OPERATIONS),
  'if',
  '?:',
  'and',
  'or',
  'filter',
  'map',
  'reduce',
  'all',
  'none',
  'some',
];

function isLogic(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1;
}

class Compiler {
  problems: LogicProblem[] = [];
  private nodes = 0;

  /** Nodes compiled so far. */
  get size(): number {
    return this.nodes;
  }

  compile(rule: Logic, path: string, depth: number): CompiledLogic {
    this.nodes += 1;
    if (this.nodes > MAX_LOGIC_NODES) {
      // One problem is enough: a million-item literal should not produce a million of them.
      if (this.nodes === MAX_LOGIC_NODES + 1) return this.fail(path, `rule has more than ${MAX_LOGIC_NODES} nodes`);
      return tooLarge;
    }
    if (depth > MAX_LOGIC_DEPTH) {
      return this.fail(path, `rule is nested deeper than ${MAX_LOGIC_DEPTH} levels`);
    }
    if (Array.isArray(rule)) {
      const items = rule.map((item, i) => this.compile(item, `${path}[${i}]`, depth + 1));
      return (data) => items.map((item) => item(data));
    }
    if (!isLogic(rule)) return () => rule;

    const op = Object.keys(rule)[0]!;
    const raw = rule[op];
    const values = Array.isArray(raw) ? raw : [raw];
    const at = `${path}.${op}`;
    const args = () => values.map((v, i) => this.compile(v, `${at}[${i}]`, depth + 1));

    switch (op) {
      case 'if':
      case '?:':
        return compileIf(args());
      case 'and':
        return compileAndOr(args(), false);
      case 'or':
        return compileAndOr(args(), true);
      case 'filter':
      case 'map':
      case 'all':
      case 'none':
      case 'some':
      case 'reduce':
        return compileScoped(op, args());
    }

    const operation = OPERATIONS[op];
    if (!Object.hasOwn(OPERATIONS, op) || operation === undefined) {
      return this.fail(path, `unknown operator "${op}"`);
    }
    if (op === 'var') return this.compileVar(values, at, depth);
    const compiled = args();
    if (compiled.length === 1) {
      const [a] = compiled as [CompiledLogic];
      return (data) => operation(data, [a(data)]);
    }
    if (compiled.length === 2) {
      const [a, b] = compiled as [CompiledLogic, CompiledLogic];
      return (data) => operation(data, [a(data), b(data)]);
    }
    return (data) =>
      operation(
        data,
        compiled.map((c) => c(data)),
      );
  }

  /** `var` with a literal path is resolved to a fixed list of keys once. */
  private compileVar(values: unknown[], at: string, depth: number): CompiledLogic {
    const [path, notFound] = values;
    const isLiteral = (v: unknown) => v === undefined || v === null || typeof v !== 'object';
    if (values.length <= 2 && isLiteral(path) && isLiteral(notFound)) {
      if (path === undefined || path === '' || path === null) return (data) => data;
      const parts = String(path).split('.');
      const fallback = notFound === undefined ? null : notFound;
      return (data) => {
        let current = data;
        for (let i = 0; i < parts.length; i++) {
          if (current === null || current === undefined || !hasOwn(current, parts[i]!)) return fallback;
          current = (current as Record<string, unknown>)[parts[i]!];
          if (current === undefined) return fallback;
        }
        return current;
      };
    }
    const compiled = values.map((v, i) => this.compile(v, `${at}[${i}]`, depth + 1));
    return (data) => {
      const [path, notFound] = compiled.map((c) => c(data)); // every argument, as json-logic-js does
      return readVar(data, path, notFound);
    };
  }

  private fail(path: string, message: string): CompiledLogic {
    this.problems.push({ path, message });
    return () => {
      throw new LogicError(`${path || 'rule'}: ${message}`);
    };
  }
}

const tooLarge: CompiledLogic = () => {
  throw new LogicError(`rule has more than ${MAX_LOGIC_NODES} nodes`);
};

function compileIf(parts: CompiledLogic[]): CompiledLogic {
  return (data) => {
    let i = 0;
    for (; i < parts.length - 1; i += 2) {
      if (truthy(parts[i]!(data))) return parts[i + 1]!(data);
    }
    if (parts.length === i + 1) return parts[i]!(data);
    return null;
  };
}

function compileAndOr(parts: CompiledLogic[], isOr: boolean): CompiledLogic {
  return (data) => {
    let current: unknown;
    for (const part of parts) {
      current = part(data);
      if (truthy(current) === isOr) return current;
    }
    return current;
  };
}

function compileScoped(op: string, parts: CompiledLogic[]): CompiledLogic {
  const source = parts[0] ?? (() => undefined);
  const scoped = parts[1] ?? (() => undefined);
  switch (op) {
    case 'filter':
      return (data) => {
        const items = source(data);
        if (!Array.isArray(items)) return [];
        spend(items.length);
        return items.filter((item) => truthy(scoped(item)));
      };
    case 'map':
      return (data) => {
        const items = source(data);
        if (!Array.isArray(items)) return [];
        spend(items.length);
        return items.map((item) => scoped(item));
      };
    case 'all':
      return (data) => {
        const items = source(data);
        if (!Array.isArray(items) || !items.length) return false;
        spend(items.length);
        return items.every((item) => truthy(scoped(item)));
      };
    case 'none':
      return (data) => {
        const items = source(data);
        if (!Array.isArray(items) || !items.length) return true;
        spend(items.length);
        return !items.some((item) => truthy(scoped(item)));
      };
    case 'some':
      return (data) => {
        const items = source(data);
        if (!Array.isArray(items) || !items.length) return false;
        spend(items.length);
        return items.some((item) => truthy(scoped(item)));
      };
    default: {
      const initial = parts[2];
      return (data) => {
        const start = initial ? initial(data) : null;
        const items = source(data);
        if (!Array.isArray(items)) return start;
        spend(items.length);
        return items.reduce((accumulator, current) => scoped({ current, accumulator }), start);
      };
    }
  }
}

/** An error raised while evaluating a rule (unknown operator reached, rule too deep or too large). */
export class LogicError extends Error {
  override name = 'LogicError';
}

/** The budget of {@link withLogicBudget} ran out. */
export class LogicBudgetError extends LogicError {
  override name = 'LogicBudgetError';
  constructor(readonly limit: number) {
    super(`evaluations exceeded their shared budget of ${limit} steps`);
  }
}

/**
 * Compiles a rule. Problems (unknown operators, excessive depth or size) are
 * returned with their paths; the compiled function throws if it reaches one,
 * exactly where json-logic-js would throw.
 */
export function compileLogic(rule: Logic, path = ''): { run: CompiledLogic; problems: LogicProblem[] } {
  const compiler = new Compiler();
  const root = compiler.compile(rule, path, 0);
  const size = compiler.size;
  const run: CompiledLogic = (data) => {
    stepsLeft = MAX_LOGIC_STEPS;
    if (shared) spendShared(size);
    return root(data);
  };
  return { run, problems: compiler.problems };
}

/** Evaluates a rule met during another evaluation (see `missing`), within the same step budget. */
function evaluateNested(rule: Logic, data: unknown): unknown {
  return new Compiler().compile(rule, '', 0)(data);
}

/**
 * Evaluates a JSON-Logic rule against data and returns what json-logic-js
 * would return (see the module comment for the safety differences).
 * Compiles on every call; hot paths keep the result of {@link compileLogic}.
 */
export function evaluateLogic(rule: Logic, data: unknown): unknown {
  return compileLogic(rule).run(data);
}
