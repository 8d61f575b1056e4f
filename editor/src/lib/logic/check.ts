/**
 * Mistakes in conditions that the server accepts but a person did not mean:
 * a path no condition can read (a typo, a trailing dot) and a number field
 * compared with text (an emptied number box). Checked as the draft changes,
 * each found under the JSON path of its condition.
 */
import type { RuleSetDefinition } from '../api';
import type { Translate } from '../i18n/translate';
import { ATTRIBUTE_PREFIX, COUNT_PREFIX, OTHER_PATHS, PROPERTY_PREFIX, fieldLabel, type FieldInfo } from './fields';

export type ConditionCheck = { kind: 'unknownField'; field: string; suggestion: string | null } | { kind: 'notANumber'; field: string };

/** What conditions are checked against: every path they can read, and those that hold numbers. */
export interface FieldContext {
  known: ReadonlySet<string>;
  numbers: ReadonlySet<string>;
}

/** The context of a field catalogue (the fixed fields, event-type counts and known attributes). */
export function fieldContext(fields: readonly FieldInfo[]): FieldContext {
  return {
    known: new Set([...OTHER_PATHS, ...fields.map((f) => f.path)]),
    numbers: new Set(fields.filter((f) => f.type === 'number').map((f) => f.path)),
  };
}

const COMPARISONS = new Set(['==', '!=', '>', '>=', '<', '<=']);
const ORDERINGS = new Set(['>', '>=', '<', '<=']);
/** Whole objects: readable, but never what a misspelled path was meant to be. */
const CONTAINERS = new Set([
  'event',
  'event.properties',
  'lead',
  'lead.attributes',
  'score',
  'history',
  'history.counts',
  'thresholds',
  'timing',
]);

/** Edits (insert, delete, replace) between two strings. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known path a misspelled one most likely meant, if one is close enough. */
export function closestPath(path: string, known: ReadonlySet<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    if (CONTAINERS.has(candidate)) continue;
    const d = candidate.toLowerCase() === path.toLowerCase() ? 0 : distance(path, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(path.length / 10)) ? best : null;
}

const validName = (name: string) => name !== '' && !name.split('.').includes('');

/**
 * Whether a condition can read `path`. Event properties are whatever sources
 * send; a lead attribute that no known one resembles is taken as a new one,
 * but one a letter away from a known attribute is taken as a typo.
 */
export function checkField(path: string, known: ReadonlySet<string>): ConditionCheck | null {
  if (known.has(path)) return null;
  if (path.startsWith(PROPERTY_PREFIX) && validName(path.slice(PROPERTY_PREFIX.length))) return null;
  const suggestion = closestPath(path, known);
  if (path.startsWith(ATTRIBUTE_PREFIX) && validName(path.slice(ATTRIBUTE_PREFIX.length)) && suggestion === null) return null;
  return { kind: 'unknownField', field: path, suggestion };
}

/** Whether comparing `field` with `value` needs a number that `value` is not. */
export function needsNumber(field: string, operator: string, value: unknown, numbers: ReadonlySet<string>): boolean {
  if (typeof value !== 'string') return false;
  if (numbers.has(field) || field.startsWith(COUNT_PREFIX)) return true;
  return ORDERINGS.has(operator) && value.trim() === '';
}

function varPath(logic: unknown): string | null {
  if (typeof logic !== 'object' || logic === null || Array.isArray(logic)) return null;
  const raw = (logic as Record<string, unknown>)['var'];
  const path = Array.isArray(raw) ? raw[0] : raw;
  return typeof path === 'string' ? path : null;
}

/** The lead attributes a rule set's conditions read, by name. */
export function attributesRead(rules: RuleSetDefinition): string[] {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const path = varPath(node);
    if (path?.startsWith(ATTRIBUTE_PREFIX) && validName(path.slice(ATTRIBUTE_PREFIX.length)))
      names.add(path.slice(ATTRIBUTE_PREFIX.length));
    Object.values(node).forEach(visit);
  };
  [...rules.scoring, ...rules.lifecycle.transitions, ...rules.routing.rules].forEach((item) => visit(item.when));
  return [...names];
}

/** Every mistake in one JSON-Logic condition, in reading order. */
export function checkLogic(logic: unknown, { known, numbers }: FieldContext): ConditionCheck[] {
  const found: ConditionCheck[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    for (const [op, raw] of Object.entries(node)) {
      const args: unknown[] = Array.isArray(raw) ? raw : [raw];
      if (op === 'var') {
        const path = args[0];
        const check = typeof path === 'string' && path !== '' ? checkField(path, known) : null;
        if (check) found.push(check);
        args.slice(1).forEach(visit);
        continue;
      }
      const left = COMPARISONS.has(op) && args.length === 2 ? varPath(args[0]) : null;
      if (left !== null && needsNumber(left, op, args[1], numbers)) found.push({ kind: 'notANumber', field: left });
      args.forEach(visit);
    }
  };
  visit(logic);
  return found;
}

export interface RuleSetCheck {
  /** The condition's JSON path, as the server reports problems (`scoring[3].when`). */
  path: string;
  check: ConditionCheck;
}

/** Every mistake in the conditions of a rule set: scoring rules, lifecycle guards and routing rules. */
export function checkRuleSet(rules: RuleSetDefinition, context: FieldContext): RuleSetCheck[] {
  const at = (path: string, logic: unknown) => checkLogic(logic, context).map((check) => ({ path, check }));
  return [
    ...rules.scoring.flatMap((rule, i) => at(`scoring[${i}].when`, rule.when)),
    ...rules.lifecycle.transitions.flatMap((transition, i) => at(`lifecycle.transitions[${i}].when`, transition.when)),
    ...rules.routing.rules.flatMap((rule, i) => at(`routing.rules[${i}].when`, rule.when)),
  ];
}

/** A mistake in words. */
export function describeCheck(
  check: ConditionCheck,
  t: Translate,
  eventTypes: ReadonlyArray<{ type: string; label: string }> = [],
): string {
  if (check.kind === 'notANumber') return t('check.notANumber');
  const text = t('check.unknownField', { field: check.field });
  return check.suggestion ? `${text} ${t('check.didYouMean', { field: fieldLabel(check.suggestion, t, eventTypes) })}` : text;
}
