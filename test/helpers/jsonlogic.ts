/**
 * Fixtures for JSON-Logic tests: the official test suite, an outcome type that
 * captures "returned a value" or "threw", a NaN-aware deep equality, and
 * fast-check arbitraries for random rules and data.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

/** One case of the official suite: rule, data, expected result. */
export interface OfficialCase {
  group: string;
  rule: unknown;
  data: unknown;
  expected: unknown;
}

const OFFICIAL_SUITE = new URL('../../../shared/data/jsonlogic/tests.json', import.meta.url);

/** The official JSON Logic suite, each case tagged with the comment heading its group. */
export function officialCases(): OfficialCase[] {
  const entries = JSON.parse(readFileSync(OFFICIAL_SUITE, 'utf8')) as unknown[];
  const cases: OfficialCase[] = [];
  let group = '';
  for (const entry of entries) {
    if (typeof entry === 'string') {
      group = entry.replace(/^#\s*/, '');
      continue;
    }
    const [rule, data, expected] = entry as [unknown, unknown, unknown];
    cases.push({ group, rule, data, expected });
  }
  return cases;
}

/** What a call did: returned a value or threw. */
export type Outcome = { threw: false; value: unknown } | { threw: true; error: unknown };

export function outcomeOf(run: () => unknown): Outcome {
  try {
    return { threw: false, value: run() };
  } catch (error) {
    return { threw: true, error };
  }
}

/**
 * Structural equality where NaN equals NaN and 0 differs from -0 (Object.is
 * on primitives), arrays compare item by item and objects key by key.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** Two outcomes agree when both threw, or both returned equal values. */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.threw || b.threw) return a.threw && b.threw;
  return sameValue(a.value, b.value);
}

/** Renders an outcome for a failure message. */
export function describeOutcome(outcome: Outcome): string {
  if (outcome.threw) return `threw ${String(outcome.error)}`;
  return `returned ${JSON.stringify(outcome.value, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`;
}

/**
 * Keys used both in generated data and in var paths, so that paths often hit.
 * Inherited names (`__proto__`, `constructor`, `toString`…) are left out: reading
 * them is a documented difference from json-logic-js. `length` is an own
 * property of arrays and strings, so it reads the same in both.
 */
const KEYS = ['a', 'b', 'x', '0', '1', 'length', 'current', 'accumulator'] as const;

const key = fc.constantFrom(...KEYS);

/** A var path: a key, a dotted path of keys, the empty path (whole data) or an index. */
export const varPath: fc.Arbitrary<string | number | null> = fc.oneof(
  { weight: 4, arbitrary: key },
  { weight: 3, arbitrary: fc.array(key, { minLength: 2, maxLength: 3 }).map((parts) => parts.join('.')) },
  { weight: 1, arbitrary: fc.constantFrom('', null, 0, 1) },
);

/** Scalars that exercise JavaScript's coercions: numeric strings, empty values, fractions. */
export const scalar: fc.Arbitrary<string | number | boolean | null> = fc.oneof(
  fc.integer({ min: -5, max: 12 }),
  fc.constantFrom(0, -0, 0.5, -1.5, 3.25, 1e21, -Infinity),
  fc.constantFrom('', '0', '1', '2.5', '-3', '10', 'a', 'b', 'abc', ' ', 'true', 'null', 'NaN', '1e3', 'x,y'),
  fc.string({ maxLength: 4 }),
  fc.constantFrom(null, true, false),
);

/** Random JSON data whose object keys are drawn from the same names as var paths. */
export const jsonData: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const COMPARISON = ['==', '===', '!=', '!==', '>', '>=', '<', '<='] as const;
const GENERAL = ['!', '!!', '%', 'and', 'or', 'if', '?:', 'in', 'cat', 'substr', '+', '-', '*', '/', 'min', 'max', 'merge'] as const;
const SCOPED = ['map', 'filter', 'all', 'none', 'some'] as const;

/** Every standard operator a generated rule may use (all but `log`). */
export const STANDARD_OPERATORS = [...COMPARISON, ...GENERAL, ...SCOPED, 'reduce', 'var', 'missing', 'missing_some'] as const;

const operation = (op: string, args: fc.Arbitrary<unknown>) => args.map((values) => ({ [op]: values }));

/**
 * Random rules over every standard operator, nested a few levels. Arguments
 * come either as an array or, for unary use, as a bare value, as rules are
 * written in practice. `missing` and `missing_some` get keys that may be
 * arrays or rules, and `var` may get more arguments than it reads.
 */
export const logicRule: fc.Arbitrary<unknown> = fc.letrec<{ rule: unknown; varRule: unknown }>((tie) => {
  const rule = tie('rule');
  const args = fc.oneof({ weight: 4, arbitrary: fc.array(rule, { maxLength: 4 }) }, { weight: 1, arbitrary: rule });
  const varRule = fc.oneof(
    { weight: 4, arbitrary: varPath.map((path) => ({ var: path })) },
    { weight: 2, arbitrary: fc.tuple(varPath, scalar).map((pair) => ({ var: pair })) },
    { weight: 1, arbitrary: fc.array(rule, { maxLength: 3 }).map((pair) => ({ var: pair })) },
  );
  const keyList = fc.array(
    fc.oneof(
      { weight: 4, arbitrary: varPath },
      { weight: 1, arbitrary: fc.array(varPath, { maxLength: 2 }) },
      { weight: 1, arbitrary: rule },
    ),
    {
      maxLength: 4,
    },
  );
  // Lists for map, filter, reduce…: mostly data or literal arrays, sometimes anything.
  const items = fc.oneof(tie('varRule'), fc.array(rule, { maxLength: 4 }), rule);
  return {
    varRule,
    rule: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: scalar },
      { weight: 3, arbitrary: tie('varRule') },
      { weight: 3, arbitrary: fc.constantFrom(...COMPARISON).chain((op) => operation(op, args)) },
      { weight: 4, arbitrary: fc.constantFrom(...GENERAL).chain((op) => operation(op, args)) },
      {
        weight: 2,
        arbitrary: fc.tuple(fc.constantFrom(...SCOPED), items, rule).map(([op, source, scoped]) => ({ [op]: [source, scoped] })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(items, rule, fc.option(rule, { nil: undefined }))
          .map(([source, scoped, initial]) => ({ reduce: initial === undefined ? [source, scoped] : [source, scoped, initial] })),
      },
      {
        weight: 1,
        arbitrary: fc.oneof(
          keyList.map((keys) => ({ missing: keys })),
          keyList.map((keys) => ({ missing: [keys] })),
          fc.tuple(fc.integer({ min: 0, max: 3 }), keyList).map((pair) => ({ missing_some: pair })),
        ),
      },
      { weight: 1, arbitrary: fc.array(rule, { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom({}, { a: 1, b: [2] }) },
      { weight: 1, arbitrary: args.map((values) => ({ not_an_operator: values })) },
    ),
  };
}).rule;
