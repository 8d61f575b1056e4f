/**
 * A comparison from results already stored: what the live version did to
 * each event (the events table) and what the challenger did in shadow
 * (shadow_results), turned into the replay's result shape, so the same
 * metrics, differences and what-if curves apply. Same rules as the replay: a
 * version is judged at its hand-off within the horizon, else after the lead's
 * last event within it; outcome events are never judged on.
 *
 * What stored results cannot give (see docs/replay.md): an event after an
 * outcome within the horizon was evaluated live with the outcome applied;
 * only leads the challenger has seen are compared; live results are those of
 * whichever version was active when each event arrived.
 */
import {
  byCodeUnit,
  DEFAULT_HORIZON_DAYS,
  INITIAL_STAGE,
  MS_PER_DAY,
  OUTCOME_EVENT_TYPES,
  SALES_STAGES,
  type CompiledRuleSet,
  type Explanation,
  type HandOff,
  type Judgement,
  type LeadEvent,
  type LeadReplay,
  type Outcome,
  type ReplayOptions,
  type ReplayResult,
  type ScoreHigh,
  type Stage,
  type StageChange,
  type VersionRecord,
} from '../../engine/index';
import { OUTCOME_BY_EVENT_TYPE } from '../feedback';

/** One lead's events in history order, each with what every version did (null: the version skipped the event). */
export interface LeadResults {
  leadId: string;
  events: Array<{ event: LeadEvent; explanations: ReadonlyArray<Explanation | null> }>;
}

/** Feedback from sales and the market: a stage it causes is never a version's hand-off (as in the replay). */
const FEEDBACK_TRIGGERS: ReadonlySet<string> = new Set(Object.keys(OUTCOME_BY_EVENT_TYPE));
const SALES_STAGE_SET: ReadonlySet<string> = new Set(SALES_STAGES);

/** One version's view of one lead, built from its explanations. */
class RecordFold {
  stage: Stage = INITIAL_STAGE;
  readonly stageHistory: StageChange[] = [];
  handOff: HandOff | null = null;
  judged: Judgement | null = null;
  readonly highs: ScoreHigh[] = [];
  private fit: Record<string, number> = {};
  private readonly engagement: Record<string, number> = {};
  private last: Explanation | null = null;
  /** The result of the last event judged on (within the horizon, not an outcome). */
  private lastJudged: Explanation | null = null;

  constructor(private readonly ruleSet: CompiledRuleSet) {}

  /** Points per scoring rule so far: engagement points given (before decay) and current fit points. */
  private rules(): Record<string, number> {
    return { ...this.fit, ...this.engagement };
  }

  judgeAt(at: string, basis: Judgement['basis'], explanation: Explanation | null): void {
    const score = explanation?.score.after.total ?? 0;
    const band = explanation?.band.after ?? 'cold';
    this.judged = { at, basis, score, band, rules: this.rules() };
  }

  apply(event: LeadEvent, explanation: Explanation, judging: boolean): void {
    const first = this.last === null;
    if (first) this.stageHistory.push({ from: null, to: INITIAL_STAGE, at: explanation.at, transitionId: null, eventId: event.id });
    for (const change of explanation.stageChanges) {
      const reason = event.properties['reason'];
      this.stageHistory.push({
        from: change.from,
        to: change.to,
        at: explanation.at,
        transitionId: change.transitionId,
        eventId: event.id,
        ...(typeof reason === 'string' && FEEDBACK_TRIGGERS.has(change.trigger) && { reason }),
      });
      this.stage = change.to;
    }
    const versionChanged = this.last !== null && this.last.ruleSetVersion !== explanation.ruleSetVersion;
    this.last = explanation;
    if (!judging) return;
    this.lastJudged = explanation;
    if (first || versionChanged || event.type === 'lead_updated') {
      this.fit = {};
      for (const rule of explanation.rules) if (rule.kind === 'fit') this.fit[rule.ruleId] = rule.points;
    }
    for (const rule of explanation.rules)
      if (rule.kind === 'engagement') this.engagement[rule.ruleId] = (this.engagement[rule.ruleId] ?? 0) + rule.points;
    const total = explanation.score.after.total;
    if (this.ruleSet.activityTypes.has(event.type)) {
      const high = this.highs[this.highs.length - 1];
      if (!high || total > high.score) this.highs.push({ score: total, at: explanation.at, time: Date.parse(explanation.at) });
    }
    if (this.handOff) return;
    for (const change of explanation.stageChanges) {
      if (!SALES_STAGE_SET.has(change.to) || FEEDBACK_TRIGGERS.has(change.trigger)) continue;
      this.handOff = {
        at: explanation.at,
        stage: change.to,
        transitionId: change.transitionId,
        score: total,
        band: explanation.band.after,
      };
      this.judgeAt(explanation.at, 'hand-off', explanation);
      return;
    }
  }

  /** The record: judged after the last event within the horizon when no hand-off judged it (`firstAt` when there was none). */
  record(firstAt: string): VersionRecord {
    if (!this.judged) this.judgeAt(this.lastJudged?.at ?? firstAt, 'horizon', this.lastJudged);
    return {
      handOff: this.handOff,
      judged: this.judged!,
      horizonRules: this.rules(),
      highs: this.highs,
      stage: this.stage,
      stageHistory: this.stageHistory,
    };
  }
}

function outcomeOf(event: LeadEvent): Outcome | null {
  const result = event.type === OUTCOME_EVENT_TYPES.won ? 'won' : event.type === OUTCOME_EVENT_TYPES.lost ? 'lost' : null;
  if (!result) return null;
  const amount = event.properties['amount'];
  return { result, at: event.occurredAt, eventId: event.id, amount: typeof amount === 'number' && Number.isFinite(amount) ? amount : null };
}

/** Builds a replay-shaped result from each lead's stored results, with the period rules of {@link ReplayOptions}. */
export class StoredResultsFold {
  private readonly leads: LeadReplay[] = [];
  private readonly unknownTypes: Array<Record<string, number>>;
  private read = 0;
  private beforePeriod = 0;
  private first: string | null = null;
  private last: string | null = null;
  private readonly since: string | null;
  private readonly until: string | null;
  private readonly horizonDays: number;

  constructor(
    private readonly ruleSets: readonly CompiledRuleSet[],
    options: ReplayOptions,
  ) {
    this.since = options.since === undefined ? null : new Date(options.since).toISOString();
    this.until = options.until === undefined ? null : new Date(options.until).toISOString();
    this.horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
    this.unknownTypes = ruleSets.map(() => ({}));
  }

  /** Adds one lead; its events must be in history order. */
  add(lead: LeadResults): void {
    const events = this.until === null ? lead.events : lead.events.filter(({ event }) => event.occurredAt < this.until!);
    if (events.length === 0) return;
    this.read += events.length;
    const firstAt = events[0]!.event.occurredAt;
    const lastAt = events[events.length - 1]!.event.occurredAt;
    if (this.first === null || firstAt < this.first) this.first = firstAt;
    if (this.last === null || lastAt > this.last) this.last = lastAt;
    if (this.since !== null && firstAt < this.since) {
      this.beforePeriod += events.length;
      return;
    }
    const folds = this.ruleSets.map((ruleSet) => new RecordFold(ruleSet));
    let outcome: Outcome | null = null;
    let horizonEnd: number | null = null;
    let lastActivityAt = firstAt;
    for (const { event, explanations } of events) {
      const found = outcomeOf(event);
      const time = Date.parse(event.occurredAt);
      if (found) outcome ??= found;
      else {
        lastActivityAt = event.occurredAt;
        horizonEnd ??= time + this.horizonDays * MS_PER_DAY;
      }
      const judging = !found && time <= horizonEnd!;
      folds.forEach((fold, i) => {
        const explanation = explanations[i] ?? null;
        if (!explanation) {
          const counts = this.unknownTypes[i]!;
          counts[event.type] = (counts[event.type] ?? 0) + 1;
          return;
        }
        fold.apply(event, explanation, judging);
      });
    }
    this.leads.push({
      leadId: lead.leadId,
      firstTouchAt: firstAt,
      lastActivityAt,
      outcome,
      versions: folds.map((fold) => fold.record(firstAt)),
    });
  }

  private endAt(): string | null {
    return this.until ?? this.last;
  }

  /** The result, leads sorted by id; the period ends at `until`, else at the last event read. */
  result(): ReplayResult {
    const endAt = this.endAt();
    this.leads.sort((a, b) => byCodeUnit(a.leadId, b.leadId));
    return {
      versions: this.ruleSets.map((ruleSet) => ruleSet.version),
      thresholds: this.ruleSets.map((ruleSet) => ruleSet.definition.lifecycle.thresholds.mql),
      bands: this.ruleSets.map((ruleSet) => ({ ...ruleSet.definition.bands })),
      horizonDays: this.horizonDays,
      period: { since: this.since, until: this.until, firstEventAt: this.first, lastEventAt: this.last, endAt },
      events: { read: this.read, beforePeriod: this.beforePeriod, unknownTypes: this.unknownTypes },
      leads: this.leads,
    };
  }
}
