/**
 * The editor's one way to the server: a typed client of the HTTP API on the
 * same origin (`/v1/...`). Every failure is an {@link ApiError} carrying the
 * server's problem details, including the field paths at fault.
 */
import type {
  Band,
  Case,
  CaseResult,
  Explanation,
  HandOffSummary,
  RuleSetChange,
  RuleSetDefinition,
  RuleSetInput,
  Route,
  Score,
  Stage,
  StageChange,
} from '../../../engine/index';
import type { ChangeKind, LeadChange, ThresholdMove, VersionDiff } from '../../../engine/compare';
import type { ReplayReport, VersionMetrics } from '../../../engine/metrics';
import type { ReportNote } from '../../../engine/notes';
import type { Interval } from '../../../engine/stats';
import type { Verdict, VerdictMeasure } from '../../../engine/verdict';
import type { ThresholdCurve } from '../../../engine/whatif';

export type { Band, Case, CaseResult, Explanation, HandOffSummary, RuleSetChange, RuleSetDefinition, RuleSetInput, Stage, StageChange };

export const ROLES = ['ingest', 'sales', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface FieldError {
  path: string;
  message: string;
}

/** A case of a rule set that fails, with what it expected and what it got, first difference first. */
export interface FailingCase {
  name: string;
  differences: FieldError[];
}

/** A failed request: the HTTP status and the RFC 9457 problem details the server sent. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    /** The failing cases of a version refused activation (problem type `failing-cases`). */
    readonly failingCases: FailingCase[] = [],
  ) {
    super(detail || title);
  }
}

export interface Identity {
  name: string;
  role: Role;
}

export type VersionEntry =
  | {
      version: string;
      valid: true;
      parent: string | null;
      createdAt: string;
      author: string;
      note: string;
      active: boolean;
      challenger: boolean;
    }
  | { version: string; valid: false; problems: FieldError[]; active: boolean; challenger: boolean };

export interface VersionList {
  active: string;
  challenger: string | null;
  versions: VersionEntry[];
}

export type Team = 'marketing' | 'sales';

export type ReviewDecision = 'approved' | 'changes-requested';

/** A team's review of a version: its approval or its request for changes, by a key, with a comment. */
export interface Approval {
  team: Team;
  /** Absent from servers that only recorded approvals. */
  decision?: ReviewDecision;
  by: string;
  keyId?: string | null;
  comment?: string;
  at: string;
}

/** What activating `to` in place of `from` changes, from a comparison of the two on past data. */
export interface ActivationImpact {
  comparison: string;
  from: string;
  to: string;
  handOffsPerWeek: { from: number | null; to: number | null };
  leads: number;
  bandChanged: number;
  handOffChanged: number;
  stageChanged: number;
}

/** The newest comparison of the active version with a version, and once done its impact. */
export interface ImpactReply {
  version: string;
  active: string;
  comparison: { id: string; status: 'running' | 'done' | 'failed'; progress: number } | null;
  impact: ActivationImpact | null;
}

export interface RuleSetReply {
  version: string;
  active: boolean;
  challenger: boolean;
  definition: RuleSetDefinition;
  /** Every case of the version: its file's and those kept beside it (`vN.cases.json`). */
  cases?: Case[];
  /** Present once the server records approvals. */
  approvals?: Approval[];
}

/** A lead's current outcome kept as a case, and that case run on the active version. */
export interface LeadCaseReply {
  case: Case;
  leadVersion: string;
  activeVersion: string;
  check: CaseResult;
}

export interface ActivationRecord {
  id: number;
  slot: 'active' | 'challenger';
  fromVersion: string | null;
  toVersion: string | null;
  activatedBy: string;
  activatedAt: string;
  impact?: ActivationImpact | null;
}

export interface ActivationList {
  active: string;
  challenger: string | null;
  activations: ActivationRecord[];
}

export interface DiffReply {
  from: string;
  to: string;
  changes: RuleSetChange[];
}

/** A lead as the server shows it. */
export interface LeadView {
  id: string;
  stage: Stage;
  band: Band;
  score: Score;
  route: Route;
  ruleSetVersion: string;
  asOf: string;
  attributes: Record<string, unknown>;
  customer: boolean;
  eventCount: number;
  firstSeenAt: string;
  lastActivityAt: string | null;
  stageEnteredAt: string;
}

export interface LeadRow {
  id: string;
  stage: Stage;
  band: Band;
  score: number;
  owner: string | null;
  queue: string | null;
  ruleSetVersion: string;
  eventCount: number;
  lastEventAt: string;
  createdAt: string;
  updatedAt: string;
  /** When the lead last entered a sales stage (MQL, SAL, SQL) from outside them; null if it never did. */
  handedOffAt: string | null;
  /** The score as of the request: engagement decayed since the last activity (`score` is the score at the last event). */
  scoreNow: number;
  bandNow: Band;
}

/** Orders of GET /v1/leads: newest update, highest score (at the last event), longest since hand-off first. */
export type LeadSort = 'updated' | 'score' | 'handoff';

export interface LeadFilter {
  /** One stage, or any of several. */
  stage?: Stage | readonly Stage[] | undefined;
  sort?: LeadSort | undefined;
  band?: Band | undefined;
  minScore?: number | undefined;
  maxScore?: number | undefined;
  owner?: string | undefined;
  queue?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** The attributes recently updated leads have (GET /v1/attributes). */
export interface AttributeList {
  leads: number;
  attributes: Array<{ name: string; leads: number; type: 'number' | 'text' | 'boolean' | 'other' }>;
}

/** Why sales turns a hand-off back: the reasons POST /v1/leads/{id}/reject accepts. */
export const REJECTION_REASONS = [
  'not-a-fit',
  'no-budget',
  'no-authority',
  'no-need',
  'bad-timing',
  'unreachable',
  'duplicate',
  'spam',
  'other',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];
/** Why a deal was lost: the reasons POST /v1/leads/{id}/lost accepts. */
export const LOSS_REASONS = ['price', 'competitor', 'no-decision', 'timing', 'product-fit', 'unresponsive', 'other'] as const;
export type LossReason = (typeof LOSS_REASONS)[number];

/** The body of each sales feedback action. */
export interface FeedbackBodies {
  accept: { note?: string };
  reject: { reason: RejectionReason; note?: string };
  qualify: { note?: string };
  won: { amount?: number; reason?: string; note?: string };
  lost: { reason: LossReason; amount?: number; note?: string };
}
export type FeedbackAction = keyof FeedbackBodies;

/** What a feedback action did: the lead's state after it. */
export interface FeedbackReply {
  eventId: string;
  leadId: string;
  status: 'stored' | 'duplicate';
  lead: LeadView;
}

export interface LeadPage {
  leads: LeadRow[];
  nextCursor: string | null;
}

export interface TimelineEntry {
  eventId: string;
  type: string;
  occurredAt: string;
  receivedAt: string;
  properties: Record<string, unknown>;
  points: number | null;
  /** Null for an event no rule set evaluated (scoreAfter too). */
  scoreBefore: number | null;
  scoreAfter: number | null;
  stageAfter: Stage | null;
  rules: Explanation['rules'];
  /** Fit before and after: fit rules list the whole new fit, the score moves by the difference. */
  fit: { before: number; after: number } | null;
  /** Engagement lost to decay over `days` whole days without activity, before the event counted. */
  decay: { days: number; removed: number } | null;
  stageChanges: Explanation['stageChanges'];
  notes: string[];
}

export interface OutcomeView {
  eventId: string;
  kind: 'accepted' | 'rejected' | 'qualified' | 'won' | 'lost' | 'disqualified';
  reason: string | null;
  note: string | null;
  amount: number | null;
  occurredAt: string;
  recordedBy: string | null;
}

/** The next change time alone makes to a lead, under the active rule set. */
export interface TimeChange {
  at: string;
  stage: Stage;
  band: Band;
}

export interface LeadDetail {
  lead: LeadView;
  /** The score and band as of the request (decayed since the last activity). */
  now: { score: Score; band: Band };
  /** Null when nothing changes without another event. */
  nextChange: TimeChange | null;
  explanation: Explanation | null;
  timeline: TimelineEntry[];
  stageHistory: StageChange[];
  outcomes: OutcomeView[];
}

export interface PreviewEvent {
  id?: string;
  type: string;
  occurredAt: string;
  properties?: Record<string, unknown>;
}

export interface EvaluateRequest {
  version?: string;
  ruleSet?: unknown;
  lead?: { id: string; attributes: Record<string, unknown> };
  events: PreviewEvent[];
}

export interface EvaluateReply {
  ruleSetVersion: string;
  lead: LeadView | null;
  explanations: Array<Explanation | null>;
  handOff: HandOffSummary | null;
}

/** One version's figures on the judged leads (see POST /v1/rulesets/population). */
export interface PopulationFigures {
  leads: number;
  /** `counts[i]` leads scored in [start + i·width, start + (i+1)·width); the same bins for both versions. */
  histogram: { start: number; width: number; counts: number[] };
  bands: Record<Band, number>;
  stages: Record<Stage, number>;
  handOffs: { total: number; weeks: Array<{ week: string; count: number }>; meanPerWeek: number | null };
  /** Leads by fit grade (A–C) and engagement grade (1–3). */
  grid: Record<'A' | 'B' | 'C', Record<'1' | '2' | '3', number>>;
}

export interface PopulationReply {
  activeVersion: string;
  judgedAt: string;
  sample: { sampled: boolean; leads: number; total: number; limit: number; seed: string };
  cuts: { fit: { A: number; B: number }; engagement: { '1': number; '2': number } };
  active: PopulationFigures;
  draft: PopulationFigures;
  bandChanged: number;
  changes: Array<{
    leadId: string;
    from: { score: number; band: Band; stage: Stage };
    to: { score: number; band: Band; stage: Stage };
    rules: Array<{ ruleId: string; from: number; to: number }>;
    thresholds: Array<{ threshold: 'hot' | 'warm'; from: number; to: number }>;
  }>;
}

export interface Rate {
  count: number;
  converted: number;
  rate: number | null;
}

export interface Kpis {
  period: { from: string; to: string };
  funnel: Record<Stage, number>;
  conversion: Record<string, Rate>;
  dormantToOpportunity: Rate;
  hotLeadConversion: Rate;
  opportunityToClose: Rate;
  medianDaysInStage: Record<Stage, number | null>;
  followUp: { handOffs: number; followedUp: number; medianHours: number | null };
  definitions: Record<string, string>;
}

/** The challenger's KPIs from its shadow stage histories, beside the active version's on the same leads (GET /v1/kpis/challenger). */
export interface ChallengerKpis {
  /** Null when no challenger is set; then both sets of figures are null. */
  version: string | null;
  activeVersion: string;
  period: { from: string; to: string };
  /** Leads the challenger has evaluated: the leads both sets of figures count. */
  leadsEvaluated: number;
  leadsTotal: number;
  challenger: Kpis | null;
  active: Kpis | null;
}

export type ComparisonSource = 'replay' | 'shadow';

export type { Interval, ReportNote, Verdict, VerdictMeasure };

/** How a comparison judged and counted leads: horizon, open leads counted as lost, minimum sample. */
export type ComparisonOptions = ReplayReport['options'];
/** One version's metrics, each rate with its 95% interval; `precision` is null when no lead was lost. */
export type ReportVersion = VersionMetrics;
/** A later version against the baseline: the changed leads and the paired verdict per measure. */
export type ReportDiff = VersionDiff;
export type ThresholdName = ThresholdMove['threshold'];
export type { ChangeKind, LeadChange };

/** The replay report: every version's metrics and each later version against the first, with the threshold what-if curves and the notes. */
export type ComparisonReport = ReplayReport & {
  whatIf?: ThresholdCurve[];
  source?: ComparisonSource;
};

export interface ComparisonRequest {
  /** The baseline first. */
  versions: string[];
  since?: string | undefined;
  until?: string | undefined;
  source?: ComparisonSource;
  /** Judge each lead within this many days after its first activity (server default 90). */
  horizonDays?: number | undefined;
  /** Count leads still open after this many days as lost; absent: open leads are left out. */
  openAsLostAfterDays?: number | undefined;
}

/** Which changed leads to list: by outcome and by kind of change (absent: all). */
export interface ChangeFilter {
  outcome?: 'won' | 'lost' | 'open' | undefined;
  kind?: ChangeKind | undefined;
}

export interface Comparison {
  id: string;
  status: 'running' | 'done' | 'failed';
  /** 0..1 */
  progress: number;
  /** Comparisons ahead in line: 0 while running, null once finished. */
  position?: number | null;
  error?: string;
  report?: ComparisonReport;
}

/** What to suggest points from: a period of stored history and the version to start from (default the active one). */
export interface SuggestionRequest {
  from?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  horizonDays?: number | undefined;
}

/** An AUC with its DeLong 95% interval, and the won (positives) and lost (negatives) leads it ranks. */
export interface AucEstimate {
  auc: number | null;
  positives: number;
  negatives: number;
  interval: Interval;
}

export interface SuggestionThresholds {
  mql: number;
  hot: number;
  warm: number;
  reactivation: number;
}

/** A note on a suggestion: a stable code, the figures it states, and the server's English message. */
export interface SuggestionNote {
  code: string;
  message: string;
  values: Record<string, string | number>;
}

/** What a suggestion found: points rule by rule beside the current ones, both hold-out AUCs, notes, and the suggested rule set. */
export interface SuggestionResult {
  from: string;
  version: string;
  period: { since: string | null; until: string | null; firstEventAt: string | null; lastEventAt: string | null };
  events: number;
  leads: { total: number; won: number; lost: number; open: number };
  horizonDays: number;
  refused: { code: string; message: string } | null;
  rows: Array<{ id: string; label: string; current: number | null; suggested: number | null; change: number }>;
  thresholds: { current: SuggestionThresholds; suggested: SuggestionThresholds | null };
  auc: { leads: { won: number; lost: number }; current: AucEstimate; suggested: AucEstimate } | null;
  notes: SuggestionNote[];
  ruleSet: RuleSetDefinition | null;
}

export interface Suggestion {
  id: string;
  status: 'running' | 'done' | 'failed';
  /** 0..1 */
  progress: number;
  /** Jobs (comparisons or suggestions) ahead in line: 0 while running, null once finished. */
  position: number | null;
  from: string;
  error?: string;
  result?: SuggestionResult;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** An API key as the server lists it: never the key itself. */
export interface ApiKeyEntry {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  revokedAt: string | null;
  expiresAt: string | null;
  /** When the key was last accepted, known to the minute; null when never. */
  lastUsedAt: string | null;
}

export interface NewApiKey {
  name: string;
  role: Role;
  expiresAt?: string;
}

export const WEBHOOK_KINDS = [
  'lead.handed_off',
  'lead.stage_changed',
  'lead.band_changed',
  'lead.dormant',
  'lead.reactivated',
  'lead.won',
  'lead.lost',
] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

export interface WebhookFilter {
  queue?: string;
  owner?: string;
  /** Only changes that leave the lead in one of these stages. */
  stages?: Stage[];
}

export interface WebhookSubscription {
  id: string;
  url: string;
  events: WebhookKind[];
  filter: WebhookFilter;
  createdAt: string;
  /** Deliveries have failed repeatedly; cleared by the next success. */
  failing: boolean;
  failingSince: string | null;
  consecutiveFailures: number;
}

export interface NewWebhookSubscription {
  url: string;
  events: WebhookKind[];
  filter?: WebhookFilter;
  secret?: string;
}

export interface WebhookAttempt {
  attempt: number;
  at: string;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
}

export interface WebhookDelivery {
  id: string;
  messageId: string;
  kind: WebhookKind;
  leadId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: WebhookAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const problem = (body && typeof body === 'object' ? body : {}) as Partial<{
    type: string;
    title: string;
    detail: string;
    errors: FieldError[];
    cases: FailingCase[];
  }>;
  return new ApiError(
    response.status,
    problem.title ?? response.statusText ?? 'Error',
    problem.detail ?? '',
    Array.isArray(problem.errors) ? problem.errors : [],
    problem.type === '/problems/failing-cases' && Array.isArray(problem.cases) ? problem.cases : [],
  );
}

export interface ApiOptions {
  /** Called when the server no longer accepts the key (401), e.g. after it was revoked. */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
}

export class Api {
  readonly #key: string;
  readonly #options: ApiOptions;

  constructor(key: string, options: ApiOptions = {}) {
    this.#key = key;
    this.#options = options;
  }

  async #request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal, reply: 'json' | 'blob' = 'json'): Promise<T> {
    const doFetch = this.#options.fetch ?? fetch;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#key}`,
      Accept: reply === 'blob' ? 'text/csv, application/problem+json' : 'application/json',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await doFetch(path, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      ...(signal && { signal }),
    });
    if (!response.ok) {
      const error = await problemOf(response);
      if (response.status === 401) this.#options.onUnauthorized?.();
      throw error;
    }
    if (response.status === 204) return undefined as T;
    if (reply === 'blob') return (await response.blob()) as T;
    // Some answers carry no body (202 to a redelivery, say).
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Who the key belongs to. Uses `GET /v1/me` where the server has it;
   * otherwise tells the role from what the key may read, with requests that
   * change nothing.
   */
  async identify(): Promise<Identity> {
    try {
      return await this.#request<Identity>('GET', '/v1/me');
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
    }
    const status = async (method: Method, path: string, body?: unknown) => {
      try {
        await this.#request(method, path, body);
        return 200;
      } catch (error) {
        if (error instanceof ApiError) return error.status;
        throw error;
      }
    };
    const versions = await status('GET', '/v1/rulesets');
    if (versions === 401) throw new ApiError(401, 'Unauthorized', 'The API key is not valid.');
    if ((await status('GET', '/v1/keys')) === 200) return { name: 'admin', role: 'admin' };
    if ((await status('GET', '/v1/leads?limit=1')) === 403) return { name: 'ingest', role: 'ingest' };
    // An empty rule set is refused by validation (400) for editors and by role (403) for sales: nothing is created.
    return (await status('POST', '/v1/rulesets', {})) === 403 ? { name: 'sales', role: 'sales' } : { name: 'editor', role: 'editor' };
  }

  versions(): Promise<VersionList> {
    return this.#request('GET', '/v1/rulesets');
  }

  version(version: string): Promise<RuleSetReply> {
    return this.#request('GET', `/v1/rulesets/${encodeURIComponent(version)}`);
  }

  createVersion(definition: Record<string, unknown>): Promise<{ version: string; definition: RuleSetDefinition }> {
    return this.#request('POST', '/v1/rulesets', definition);
  }

  diff(from: string, to: string): Promise<DiffReply> {
    return this.#request('GET', `/v1/rulesets/diff${query({ from, to })}`);
  }

  activations(): Promise<ActivationList> {
    return this.#request('GET', '/v1/rulesets/activations');
  }

  /** Activates a version, recording the impact read from `comparison` (else the newest one the server keeps). */
  activate(version: string, comparison?: string): Promise<unknown> {
    return this.#request('POST', `/v1/rulesets/${encodeURIComponent(version)}/activate${query({ comparison })}`);
  }

  /** The newest comparison of the active version with `version`, and its impact once done. */
  impact(version: string): Promise<ImpactReply> {
    return this.#request('GET', `/v1/rulesets/${encodeURIComponent(version)}/impact`);
  }

  /** Starts comparing the active version with `version` (unless one is kept already). */
  startImpact(version: string): Promise<ImpactReply> {
    return this.#request('POST', `/v1/rulesets/${encodeURIComponent(version)}/impact`);
  }

  setChallenger(version: string | null): Promise<unknown> {
    return this.#request('PUT', '/v1/rulesets/challenger', { version });
  }

  /** Reviews a version for a team: approves it, or asks for changes (with a comment saying which). */
  approve(version: string, team: Team, decision: ReviewDecision = 'approved', comment = ''): Promise<unknown> {
    return this.#request('POST', `/v1/rulesets/${encodeURIComponent(version)}/approvals`, { team, decision, comment });
  }

  evaluate(request: EvaluateRequest, signal?: AbortSignal): Promise<EvaluateReply> {
    return this.#request('POST', '/v1/evaluate', request, signal);
  }

  /** The draft judged on the stored leads (or a seeded sample of them) beside the active version. */
  population(ruleSet: unknown, signal?: AbortSignal): Promise<PopulationReply> {
    return this.#request('POST', '/v1/rulesets/population', { ruleSet }, signal);
  }

  attributes(): Promise<AttributeList> {
    return this.#request('GET', '/v1/attributes');
  }

  leads({ stage, ...filter }: LeadFilter = {}): Promise<LeadPage> {
    const stages = typeof stage === 'string' ? stage : stage?.join(',');
    return this.#request('GET', `/v1/leads${query({ ...filter, stage: stages })}`);
  }

  /** Records sales feedback on a lead (accept, reject, qualify, won, lost); the reply carries the lead's new state. */
  feedback<A extends FeedbackAction>(id: string, action: A, body: FeedbackBodies[A]): Promise<FeedbackReply> {
    return this.#request('POST', `/v1/leads/${encodeURIComponent(id)}/${action}`, body);
  }

  /** Runs the cases of an unsaved rule set (its `cases`), as on every edit of a draft. */
  evaluateCases(ruleSet: Record<string, unknown>, signal?: AbortSignal): Promise<{ results: CaseResult[] }> {
    return this.#request('POST', '/v1/evaluate/cases', { ruleSet }, signal);
  }

  /** A case keeping the lead's current outcome. */
  leadCase(id: string): Promise<LeadCaseReply> {
    return this.#request('GET', `/v1/leads/${encodeURIComponent(id)}/case`);
  }

  lead(id: string): Promise<LeadDetail> {
    return this.#request('GET', `/v1/leads/${encodeURIComponent(id)}`);
  }

  handOff(id: string): Promise<HandOffSummary> {
    return this.#request('GET', `/v1/leads/${encodeURIComponent(id)}/handoff`);
  }

  kpis(from: string, to: string): Promise<Kpis> {
    return this.#request('GET', `/v1/kpis${query({ from, to })}`);
  }

  challengerKpis(from: string, to: string): Promise<ChallengerKpis> {
    return this.#request('GET', `/v1/kpis/challenger${query({ from, to })}`);
  }

  startComparison({ versions, since, until, source, horizonDays, openAsLostAfterDays }: ComparisonRequest): Promise<{ id: string }> {
    return this.#request('POST', '/v1/comparisons', {
      versions,
      ...(since && { since }),
      ...(until && { until }),
      ...(source && { source }),
      ...(horizonDays !== undefined && { horizonDays }),
      ...(openAsLostAfterDays !== undefined && { openAsLostAfterDays }),
    });
  }

  comparison(id: string): Promise<Comparison> {
    return this.#request('GET', `/v1/comparisons/${encodeURIComponent(id)}`);
  }

  /** The first and last stored event, to choose a period of history within. */
  historyPeriod(): Promise<{ firstEventAt: string | null; lastEventAt: string | null }> {
    return this.#request('GET', '/v1/suggestions/period');
  }

  startSuggestion({ from, since, until, horizonDays }: SuggestionRequest): Promise<{ id: string }> {
    return this.#request('POST', '/v1/suggestions', {
      ...(from && { from }),
      ...(since && { since }),
      ...(until && { until }),
      ...(horizonDays !== undefined && { horizonDays }),
    });
  }

  suggestion(id: string): Promise<Suggestion> {
    return this.#request('GET', `/v1/suggestions/${encodeURIComponent(id)}`);
  }

  /** The leads that change between the baseline and the `diff`-th later version, as CSV, with the filter applied. */
  changesCsv(id: string, diff: number, filter: ChangeFilter = {}): Promise<Blob> {
    return this.#request(
      'GET',
      `/v1/comparisons/${encodeURIComponent(id)}/changes.csv${query({ diff, ...filter })}`,
      undefined,
      undefined,
      'blob',
    );
  }

  keys(): Promise<{ keys: ApiKeyEntry[] }> {
    return this.#request('GET', '/v1/keys');
  }

  /** Creates a key; the reply carries the key itself, the only time it is shown. */
  createKey(key: NewApiKey): Promise<ApiKeyEntry & { key: string }> {
    return this.#request('POST', '/v1/keys', key);
  }

  revokeKey(id: string): Promise<void> {
    return this.#request('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
  }

  webhooks(): Promise<{ webhooks: WebhookSubscription[] }> {
    return this.#request('GET', '/v1/webhooks');
  }

  /** Subscribes a URL; the reply carries the signing secret, the only time it is shown. */
  createWebhook(subscription: NewWebhookSubscription): Promise<WebhookSubscription & { secret: string }> {
    return this.#request('POST', '/v1/webhooks', subscription);
  }

  deleteWebhook(id: string): Promise<void> {
    return this.#request('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`);
  }

  /** A subscription's latest deliveries, newest first, each with its attempts. */
  deliveries(id: string): Promise<{ deliveries: WebhookDelivery[] }> {
    return this.#request('GET', `/v1/webhooks/${encodeURIComponent(id)}/deliveries`);
  }

  /** Queues a delivery to be sent again at the server's next dispatch. */
  redeliver(id: string, deliveryId: string): Promise<void> {
    return this.#request('POST', `/v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
  }
}
