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

/** A failed request: the HTTP status and the RFC 9457 problem details the server sent. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
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
}

export interface LeadFilter {
  stage?: Stage | undefined;
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

export interface LeadDetail {
  lead: LeadView;
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

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

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
  const problem = (body && typeof body === 'object' ? body : {}) as Partial<{ title: string; detail: string; errors: FieldError[] }>;
  return new ApiError(
    response.status,
    problem.title ?? response.statusText ?? 'Error',
    problem.detail ?? '',
    Array.isArray(problem.errors) ? problem.errors : [],
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
    return (reply === 'blob' ? await response.blob() : await response.json()) as T;
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

  attributes(): Promise<AttributeList> {
    return this.#request('GET', '/v1/attributes');
  }

  leads(filter: LeadFilter = {}): Promise<LeadPage> {
    return this.#request('GET', `/v1/leads${query({ ...filter })}`);
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
}
