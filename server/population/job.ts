/**
 * One population request as a job for a worker thread: the draft judged on
 * the sample's leads beside the active version. The thread keeps the
 * sample's parsed histories and the active version's standings between
 * jobs, so a draft edit costs one pass of the draft over the sample; a job
 * for a sample the thread does not hold asks for its histories first.
 */
import {
  LogicBudgetError,
  leadStanding,
  populationImpact,
  withLogicBudget,
  type CompiledRuleSet,
  type LeadEvent,
  type LeadStanding,
  type PopulationImpact,
  type RuleSetDefinition,
} from '../../engine/index';
import { jobRuleSet, type JobProblem } from '../evaluate-job';
import { compareHistory } from '../lead-history';

export interface PopulationJob {
  sample: {
    generation: number;
    /** The histories (see PopulationSample.json), sent only when the thread asked for them. */
    json?: string;
    judgedAt: string;
  };
  /** The active version (`key` names it for the thread's cache: stored files never change). */
  active: { key: string; definition: RuleSetDefinition };
  draft: unknown;
  /** Steps each lead's rules may take, as one evaluation request. */
  maxSteps: number;
  /** Leads changing band listed at most. */
  top: number;
}

export type PopulationOutcome =
  { ok: true; impact: PopulationImpact } | { ok: false; problem: JobProblem } | { ok: false; needSample: true };

interface LeadHistory {
  leadId: string;
  events: LeadEvent[];
}

type Tuple = [string, string, string, string, Record<string, unknown>];

/** What the thread keeps between jobs. */
let held: { generation: number; leads: LeadHistory[]; firstEventAt: number | null } | null = null;
let activeStandings: { key: string; standings: LeadStanding[] } | null = null;

/** The sample's events grouped by lead (leads by id), each lead's in history order. */
function parseSample(json: string): { leads: LeadHistory[]; firstEventAt: number | null } {
  const byLead = new Map<string, LeadEvent[]>();
  let first: string | null = null;
  for (const [occurredAt, id, leadId, type, properties] of JSON.parse(json) as Tuple[]) {
    const event = { id, leadId, type, occurredAt, properties };
    const list = byLead.get(leadId);
    if (list) list.push(event);
    else byLead.set(leadId, [event]);
    if (first === null || occurredAt < first) first = occurredAt;
  }
  const leads = [...byLead].map(([leadId, events]) => ({ leadId, events: events.sort(compareHistory) }));
  leads.sort((a, b) => (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0));
  return { leads, firstEventAt: first === null ? null : Date.parse(first) };
}

/** Every lead's standing under a version, each lead within the step budget. */
function standings(ruleSet: CompiledRuleSet, leads: readonly LeadHistory[], now: number, maxSteps: number): LeadStanding[] {
  return leads.map((lead) => withLogicBudget(maxSteps, () => leadStanding(ruleSet, lead.leadId, lead.events, now)));
}

function budgetProblem(error: LogicBudgetError, which: string): JobProblem {
  return {
    status: 422,
    type: 'evaluation-limit',
    detail: `The ${which} rules needed more than ${error.limit} steps for one lead's history, the limit for one evaluation request; simplify their conditions.`,
    errors: [{ path: 'ruleSet', message: `rules exceeded the budget of ${error.limit} steps for one lead` }],
    extra: { limit: 'steps', maxSteps: error.limit },
  };
}

/** Runs one population job; never throws for what the request sent. */
export function runPopulationJob(job: PopulationJob): PopulationOutcome {
  if (held?.generation !== job.sample.generation) {
    if (job.sample.json === undefined) return { ok: false, needSample: true };
    held = { generation: job.sample.generation, ...parseSample(job.sample.json) };
    activeStandings = null;
  }
  const draft = jobRuleSet({ unsaved: job.draft }, job.sample.judgedAt);
  if (!('version' in draft)) return { ok: false, problem: { ...draft, status: 422 } };
  const active = jobRuleSet(job.active, job.sample.judgedAt);
  if (!('version' in active)) throw new Error(`the active version does not load: ${active.detail}`);
  const now = Date.parse(job.sample.judgedAt);
  try {
    if (activeStandings?.key !== job.active.key) {
      activeStandings = { key: job.active.key, standings: standings(active, held.leads, now, job.maxSteps) };
    }
    const drafted = standings(draft, held.leads, now, job.maxSteps);
    const impact = populationImpact(
      { active, draft },
      { active: activeStandings.standings, draft: drafted },
      { now, firstEventAt: held.firstEventAt, top: job.top },
    );
    return { ok: true, impact };
  } catch (error) {
    if (!(error instanceof LogicBudgetError)) throw error;
    return { ok: false, problem: budgetProblem(error, activeStandings?.key === job.active.key ? 'draft' : 'active') };
  }
}
