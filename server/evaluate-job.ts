/**
 * One stateless evaluation (`POST /v1/evaluate`) as a job for a worker
 * thread: plain data in, the reply body or a problem out. The rules of every
 * event share one step budget ({@link withLogicBudget}); the worker pool
 * bounds the job's time and memory.
 */
import {
  handOffSummary,
  LogicBudgetError,
  loadRuleSet,
  runCases,
  withLogicBudget,
  type CompiledRuleSet,
  type LeadEvent,
  type RuleSetDefinition,
} from '../engine/index';
import { checkEvent } from './event-input';
import { applyInOrder, compareHistory } from './lead-history';
import { payloadProblems } from './limits';
import type { FieldError, ProblemType } from './problem';
import { leadView } from './views';

/** Metadata an unsaved rule set may leave out: it is never stored, so it needs no real version or author. */
const PREVIEW_METADATA = { version: 'v1', parent: null, author: 'preview', note: '' };

export interface EvaluateJob {
  /** A stored version (`key` names it for the worker's cache: files never change) or an unsaved rule set. */
  ruleSet: { key: string; definition: RuleSetDefinition } | { unsaved: unknown };
  now: string;
  lead: { id: string; attributes: Record<string, unknown> };
  events: Array<{ id?: string | undefined; type: string; occurredAt: string; properties: Record<string, unknown> }>;
  /** Steps all the rules evaluated by the job may take together. */
  maxSteps: number;
  /** Run the rule set's cases instead of the events (a draft's cases on every edit). */
  cases?: boolean;
}

export interface JobProblem {
  status: 400 | 422;
  type: ProblemType;
  detail: string;
  errors: FieldError[];
  extra?: Record<string, unknown>;
}

export type EvaluateOutcome = { ok: true; reply: unknown } | { ok: false; problem: JobProblem };

/** Compiled stored versions, by key: compiling a large rule set costs more than evaluating a few events. */
const compiled = new Map<string, CompiledRuleSet>();
const KEPT_VERSIONS = 20;

/** The job's rule set, compiled (a stored one once per worker), or the problem with an unsaved one, paths under `ruleSet.`. */
export function jobRuleSet(source: EvaluateJob['ruleSet'], now: string): CompiledRuleSet | JobProblem {
  if ('key' in source) {
    const kept = compiled.get(source.key);
    if (kept) return kept;
  }
  const input =
    'key' in source
      ? source.definition
      : source.unsaved && typeof source.unsaved === 'object' && !Array.isArray(source.unsaved)
        ? { ...PREVIEW_METADATA, createdAt: now, ...source.unsaved }
        : source.unsaved;
  const loaded = loadRuleSet(input);
  if (!loaded.ok) {
    const errors = loaded.problems.map((p) => ({ path: p.path ? `ruleSet.${p.path}` : 'ruleSet', message: p.message }));
    return {
      status: 400,
      type: 'invalid-rule-set',
      detail: `The rule set has ${errors.length} problem${errors.length === 1 ? '' : 's'}.`,
      errors,
    };
  }
  if ('key' in source) {
    if (compiled.size >= KEPT_VERSIONS) compiled.delete(compiled.keys().next().value!);
    compiled.set(source.key, loaded.ruleSet);
  }
  return loaded.ruleSet;
}

/** Runs one evaluation; never throws for what the request sent. */
export function runEvaluateJob(job: EvaluateJob): EvaluateOutcome {
  const ruleSet = jobRuleSet(job.ruleSet, job.now);
  if (!('version' in ruleSet)) return { ok: false, problem: ruleSet };
  if (job.cases) return withinBudget(job.maxSteps, 'cases', () => ({ results: runCases(ruleSet, ruleSet.definition.cases ?? []) }));
  const events: LeadEvent[] = [];
  const errors: FieldError[] = payloadProblems(job.lead.attributes, 'lead.attributes');
  job.events.forEach((e, index) => {
    const raw = { id: e.id ?? `preview-${index}`, leadId: job.lead.id, type: e.type, occurredAt: e.occurredAt, properties: e.properties };
    const checked = checkEvent(raw, ruleSet, `events[${index}]`);
    if (checked.ok) events.push(checked.event);
    else errors.push(...checked.errors);
  });
  if (errors.length > 0) return { ok: false, problem: { status: 400, type: 'invalid-request', detail: describe(errors), errors } };
  events.sort(compareHistory);
  const first = events[0]?.occurredAt ?? job.now;
  const attributes =
    Object.keys(job.lead.attributes).length > 0
      ? [{ id: 'preview-attributes', leadId: job.lead.id, type: 'lead_updated', occurredAt: first, properties: job.lead.attributes }]
      : [];
  return withinBudget(job.maxSteps, 'events', () => {
    const fold = applyInOrder(ruleSet, null, [...attributes, ...events]);
    return {
      ruleSetVersion: ruleSet.version,
      lead: fold.state && leadView(fold.state),
      explanations: fold.applied.slice(attributes.length).map((a) => a.explanation),
      handOff: fold.state && handOffSummary(fold.state),
    };
  });
}

/** The reply `work` builds within the step budget, or the problem of a job over it. */
function withinBudget(maxSteps: number, what: 'events' | 'cases', work: () => unknown): EvaluateOutcome {
  try {
    return { ok: true, reply: withLogicBudget(maxSteps, work) };
  } catch (error) {
    if (!(error instanceof LogicBudgetError)) throw error;
    return {
      ok: false,
      problem: {
        status: 422,
        type: 'evaluation-limit',
        detail: `The rules needed more than ${error.limit} steps for these ${what}, the limit for one evaluation request; evaluate fewer ${what} or simpler conditions.`,
        errors: [{ path: what, message: `rules exceeded the budget of ${error.limit} steps for the request` }],
        extra: { limit: 'steps', maxSteps: error.limit },
      },
    };
  }
}

function describe(errors: FieldError[]): string {
  const first = errors[0]!;
  return errors.length === 1 ? `${first.path}: ${first.message}` : `${first.path}: ${first.message} (and ${errors.length - 1} more)`;
}
