/**
 * Loading a rule set: parse, validate every field and cross-reference, compile
 * every JSON-Logic condition once, and build the lifecycle machine.
 */
import { parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { caseProblems } from './cases';
import { compileLogic, type CompiledLogic } from './logic';
import { buildLifecycle, type Lifecycle } from './lifecycle';
import { toRoute } from './routing';
import type { Route } from './types';
import {
  INITIAL_STAGE,
  STAGES,
  SYSTEM_EVENT_TYPES,
  TRIGGER_ACTIVITY,
  TRIGGER_TIME,
  ruleSetSchema,
  type RoutingRule,
  type RuleSetDefinition,
  type ScoringRule,
  type Stage,
  type Transition,
} from './schema';

/** One thing wrong with a rule set, and where. */
export interface Problem {
  /** JSON path inside the rule set, e.g. `scoring[3].when.and[1]`; empty for the whole file. */
  path: string;
  message: string;
}

export interface CompiledScoringRule {
  rule: ScoringRule;
  when: CompiledLogic | null;
}

export interface CompiledTransition {
  transition: Transition;
  when: CompiledLogic | null;
}

export interface CompiledRoutingRule {
  rule: RoutingRule;
  when: CompiledLogic | null;
  route: Route;
}

/** A validated, compiled rule set, ready for {@link evaluate}. Immutable. */
export interface CompiledRuleSet {
  readonly version: string;
  readonly definition: RuleSetDefinition;
  readonly activityTypes: ReadonlySet<string>;
  /** Activity types of category "webinar", listed in the hand-off summary. */
  readonly webinarTypes: ReadonlySet<string>;
  /** Engagement rules by the activity type they apply to, in file order. */
  readonly engagementRules: ReadonlyMap<string, readonly CompiledScoringRule[]>;
  readonly fitRules: readonly CompiledScoringRule[];
  readonly lifecycle: Lifecycle;
  readonly routing: readonly CompiledRoutingRule[];
  readonly defaultRoute: Route;
}

export type LoadResult = { ok: true; ruleSet: CompiledRuleSet } | { ok: false; problems: Problem[] };

/** Thrown by {@link loadRuleSetOrThrow}; carries every problem. */
export class RuleSetError extends Error {
  override name = 'RuleSetError';
  constructor(readonly problems: Problem[]) {
    super(`invalid rule set:\n${problems.map(formatProblem).join('\n')}`);
  }
}

/** `path: message`, the form used in CLI output and API errors. */
export function formatProblem(problem: Problem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

/** Renders a zod issue path as a JSON path: `scoring[3].points`. */
export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function schemaProblems(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
}

/**
 * Parses JSON text; on failure, locates the first error by line and column
 * (JSON.parse's own messages do not always give a position).
 */
export function parseJson(text: string): { value: unknown } | { problem: Problem } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const errors: ParseError[] = [];
    parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
    const first = errors[0];
    if (!first) return { problem: { path: '', message: `invalid JSON: ${(error as Error).message}` } };
    const before = text.slice(0, first.offset).split('\n');
    const where = `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    return { problem: { path: '', message: `invalid JSON at ${where}: ${printParseErrorCode(first.error)}` } };
  }
}

/**
 * Validates and compiles a rule set given as JSON text or a parsed value.
 * Returns the compiled rule set, or every problem found with its JSON path.
 */
export function loadRuleSet(json: unknown): LoadResult {
  let input = json;
  if (typeof json === 'string') {
    const parsed = parseJson(json);
    if ('problem' in parsed) return { ok: false, problems: [parsed.problem] };
    input = parsed.value;
  }
  const result = ruleSetSchema.safeParse(input);
  if (!result.success) return { ok: false, problems: schemaProblems(result.error) };
  return compileDefinition(result.data);
}

/** Like {@link loadRuleSet}, but throws a {@link RuleSetError}. */
export function loadRuleSetOrThrow(json: unknown): CompiledRuleSet {
  const result = loadRuleSet(json);
  if (!result.ok) throw new RuleSetError(result.problems);
  return result.ruleSet;
}

function compileDefinition(definition: RuleSetDefinition): LoadResult {
  const problems: Problem[] = [];
  const compile = (rule: unknown, path: string): CompiledLogic | null => {
    if (rule === undefined) return null;
    const { run, problems: found } = compileLogic(rule, path);
    problems.push(...found);
    return run;
  };

  checkUniqueIds(
    definition.eventTypes.map((t) => t.type),
    'eventTypes',
    'type',
    problems,
  );
  checkUniqueIds(
    definition.scoring.map((r) => r.id),
    'scoring',
    'id',
    problems,
  );
  checkUniqueIds(
    definition.lifecycle.transitions.map((t) => t.id),
    'lifecycle.transitions',
    'id',
    problems,
  );
  checkUniqueIds(
    definition.routing.rules.map((r) => r.id),
    'routing.rules',
    'id',
    problems,
  );

  const activityTypes = new Set(definition.eventTypes.map((t) => t.type));
  definition.eventTypes.forEach((t, i) => {
    if ((SYSTEM_EVENT_TYPES as readonly string[]).includes(t.type) || t.type === TRIGGER_ACTIVITY || t.type === TRIGGER_TIME) {
      problems.push({ path: `eventTypes[${i}].type`, message: `"${t.type}" is reserved for the engine` });
    }
  });

  const engagementRules = new Map<string, CompiledScoringRule[]>();
  const fitRules: CompiledScoringRule[] = [];
  definition.scoring.forEach((rule, i) => {
    const path = `scoring[${i}]`;
    const compiled = { rule, when: compile(rule.when, `${path}.when`) };
    if (rule.kind === 'fit') {
      if (rule.on)
        problems.push({ path: `${path}.on`, message: 'fit rules score who the lead is and apply to no event type; remove "on"' });
      if (rule.caps) problems.push({ path: `${path}.caps`, message: 'caps apply only to engagement rules' });
      fitRules.push(compiled);
      return;
    }
    if (!rule.on) {
      problems.push({ path: `${path}.on`, message: 'an engagement rule needs the event types it applies to' });
      return;
    }
    rule.on.forEach((type, j) => {
      if (!activityTypes.has(type)) {
        problems.push({ path: `${path}.on[${j}]`, message: `unknown event type "${type}" (declare it in eventTypes)` });
        return;
      }
      const list = engagementRules.get(type) ?? [];
      list.push(compiled);
      engagementRules.set(type, list);
    });
  });

  const { bands, lifecycle } = definition;
  if (bands.warm >= bands.hot) {
    problems.push({ path: 'bands.warm', message: `thresholds out of order: warm (${bands.warm}) must be below hot (${bands.hot})` });
  }
  if (lifecycle.thresholds.reactivation > lifecycle.thresholds.mql) {
    problems.push({
      path: 'lifecycle.thresholds.reactivation',
      message: `thresholds out of order: reactivation (${lifecycle.thresholds.reactivation}) must not exceed mql (${lifecycle.thresholds.mql})`,
    });
  }

  const validTriggers = new Set<string>([...activityTypes, ...SYSTEM_EVENT_TYPES, TRIGGER_ACTIVITY, TRIGGER_TIME]);
  const transitions = lifecycle.transitions.map((transition, i) => {
    const path = `lifecycle.transitions[${i}]`;
    transition.on.forEach((trigger, j) => {
      if (!validTriggers.has(trigger)) problems.push({ path: `${path}.on[${j}]`, message: `unknown event type "${trigger}"` });
    });
    transition.from.forEach((from, j) => {
      if (from === transition.to)
        problems.push({ path: `${path}.from[${j}]`, message: `a transition cannot lead from "${from}" to itself` });
    });
    return { transition, when: compile(transition.when, `${path}.when`) };
  });
  for (const stage of unreachableStages(lifecycle.transitions)) {
    problems.push({ path: 'lifecycle.transitions', message: `stage "${stage}" is unreachable from "${INITIAL_STAGE}"` });
  }

  const routing = definition.routing.rules.map((rule, i) => ({
    rule,
    when: compile(rule.when, `routing.rules[${i}].when`),
    route: toRoute(rule),
  }));

  if (definition.cases) problems.push(...caseProblems(definition.cases));

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    ruleSet: Object.freeze({
      version: definition.version,
      definition: deepFreeze(definition),
      activityTypes,
      webinarTypes: new Set(definition.eventTypes.filter((t) => t.category === 'webinar').map((t) => t.type)),
      engagementRules,
      fitRules,
      lifecycle: buildLifecycle(transitions, activityTypes),
      routing,
      defaultRoute: toRoute(definition.routing.default),
    }),
  };
}

function checkUniqueIds(ids: string[], path: string, field: string, problems: Problem[]): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const first = seen.get(id);
    if (first !== undefined)
      problems.push({ path: `${path}[${i}].${field}`, message: `duplicate ${field} "${id}" (first at ${path}[${first}])` });
    else seen.set(id, i);
  });
}

function unreachableStages(transitions: readonly Transition[]): Stage[] {
  const reached = new Set<Stage>([INITIAL_STAGE]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of transitions) {
      if (!reached.has(t.to) && t.from.some((from) => reached.has(from))) {
        reached.add(t.to);
        grew = true;
      }
    }
  }
  return STAGES.filter((stage) => !reached.has(stage));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
