/**
 * When time alone next changes a lead: the moment a time-triggered transition
 * becomes enabled (dormant after N days, lost recycled after N days) or decay
 * takes the score across a band. Pure: it reads the state and the rule set,
 * never a clock, and the answer is checked by evaluating a `tick` at that
 * moment with the same engine that applies it, so what it predicts is what
 * the tick does.
 *
 * Guards are JSON-Logic, so the moment is found among candidate times rather
 * than solved for: each time the guards count days from (the last activity,
 * the stage entry, the last deal) plus each number of days they may compare
 * with (the rule set's timing values and the numbers written in time guards),
 * and each whole day on which decay carries the score or engagement across a
 * band, a threshold or such a number. A guard that counts days from something
 * else (an attribute's date through `days_since`) is not foreseen; it is still
 * checked at the lead's next event.
 */
import { foldCopy, scoreAt, type ScoreBasis } from './evaluate';
import type { CompiledRuleSet } from './ruleset';
import { TRIGGER_TIME, type Band, type Stage } from './schema';
import { MS_PER_DAY, bandOf, decayEngagement, round2 } from './scoring';
import { iso, parseTime } from './time';
import type { LeadEvent, LeadState, Score } from './types';

/** What the next time-based change is due to: a stage change or a band change (or both). */
export interface TimeChange {
  /** When it is due (ISO 8601). */
  at: string;
  /** The stage and band a tick at that moment leaves. */
  stage: LeadState['stage'];
  band: LeadState['band'];
}

/** Decay is followed this many days at most (far past any threshold a half-life of days can reach). */
const MAX_DECAY_DAYS = 100_000;

/** Numbers in a JSON-Logic rule, the values a guard may compare day counts or scores with. */
function numbersIn(logic: unknown, into: Set<number>): void {
  if (typeof logic === 'number' && Number.isFinite(logic)) into.add(logic);
  else if (Array.isArray(logic)) for (const item of logic) numbersIn(item, into);
  else if (logic && typeof logic === 'object') for (const value of Object.values(logic)) numbersIn(value, into);
}

/**
 * What the time guards leaving one stage compare with, found once per rule
 * set and stage: numbers of days (the timing values those guards read and the
 * numbers written in them), and, only when one of those guards reads the
 * score or band, the scores at which decay may enable one (the thresholds
 * and those numbers).
 */
interface GuardNumbers {
  days: number[];
  scores: number[];
}

const guardNumbers = new WeakMap<CompiledRuleSet, Map<Stage, GuardNumbers>>();

/** Whether a JSON-Logic rule reads the score or band (`var` of `score…` or `band`). */
function readsScore(logic: unknown): boolean {
  if (Array.isArray(logic)) return logic.some(readsScore);
  if (!logic || typeof logic !== 'object') return false;
  for (const [operator, argument] of Object.entries(logic)) {
    const path = operator === 'var' ? (Array.isArray(argument) ? argument[0] : argument) : undefined;
    if (typeof path === 'string' && (path === 'band' || path === 'score' || path.startsWith('score.'))) return true;
    if (readsScore(argument)) return true;
  }
  return false;
}

/**
 * The timing values a JSON-Logic rule reads (`var` of `timing.<name>`), into
 * `names`; false when it may read others too (a `var` of `timing` itself or of
 * a path computed at run time), so every timing value counts.
 */
function timingRead(logic: unknown, names: Set<string>): boolean {
  if (Array.isArray(logic)) return logic.every((item) => timingRead(item, names));
  if (!logic || typeof logic !== 'object') return true;
  for (const [operator, argument] of Object.entries(logic)) {
    if (operator === 'var') {
      const path = Array.isArray(argument) ? argument[0] : argument;
      if (typeof path !== 'string') return false;
      if (path === 'timing' || path === '') return false;
      if (path.startsWith('timing.')) names.add(path.slice('timing.'.length));
    }
    if (!timingRead(argument, names)) return false;
  }
  return true;
}

function numbersOfTimeGuards(ruleSet: CompiledRuleSet, stage: Stage): GuardNumbers {
  let byStage = guardNumbers.get(ruleSet);
  if (!byStage) {
    byStage = new Map();
    guardNumbers.set(ruleSet, byStage);
  }
  let numbers = byStage.get(stage);
  if (!numbers) {
    const { timing, thresholds } = ruleSet.definition.lifecycle;
    let scoreGuards = false;
    const literals = new Set<number>();
    const names = new Set<string>();
    let everyTiming = false;
    for (const { transition } of ruleSet.lifecycle.candidates(stage, TRIGGER_TIME)) {
      numbersIn(transition.when, literals);
      scoreGuards ||= readsScore(transition.when);
      if (!timingRead(transition.when, names)) everyTiming = true;
    }
    const timingValues = Object.entries(timing)
      .filter(([name]) => everyTiming || names.has(name))
      .map(([, days]) => days);
    const days = new Set([...timingValues, ...literals]);
    const scores = scoreGuards ? new Set([...Object.values(thresholds), ...literals]) : new Set<number>();
    numbers = { days: [...days].sort((a, b) => a - b), scores: [...scores].sort((a, b) => a - b) };
    byStage.set(stage, numbers);
  }
  return numbers;
}

/** The engagement decayed from `base` over `day` days, or with `fit` given, the total it makes with it. */
function decayed(base: number, halfLifeDays: number, fit: number | null, day: number): number {
  const engagement = decayEngagement(base, day, halfLifeDays);
  return fit === null ? engagement : round2(fit + engagement);
}

/**
 * The first whole day after `fromDay` (days since the last activity) on which
 * the {@link decayed} value falls on the other side of `threshold` than on
 * `fromDay`, or null. Decay moves engagement one way only, so a bisection
 * finds it.
 */
function firstCrossing(
  base: number,
  halfLifeDays: number,
  fit: number | null,
  threshold: number,
  fromDay: number,
  lastDay: number,
): number | null {
  const above = decayed(base, halfLifeDays, fit, fromDay) >= threshold;
  if (lastDay <= fromDay || decayed(base, halfLifeDays, fit, lastDay) >= threshold === above) return null;
  let low = fromDay;
  let high = lastDay;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (decayed(base, halfLifeDays, fit, middle) >= threshold === above) low = middle;
    else high = middle;
  }
  return high;
}

/** The day decay stops changing engagement (it has reached 0 at 2 decimals), counted from the last activity. */
function lastDecayDay(engagement: number, halfLifeDays: number): number {
  const days = Math.ceil(halfLifeDays * Math.log2(Math.abs(engagement) / 0.005)) + 1;
  return Math.min(Math.max(days, 1), MAX_DECAY_DAYS);
}

/** Candidate times (epoch ms) after `asOf` at which time alone may change the lead, ascending; `overdue` when one is at or before `asOf`. */
function candidateTimes(ruleSet: CompiledRuleSet, state: LeadState, asOf: number): { times: number[]; overdue: boolean } {
  const found: number[] = [];
  const numbers = numbersOfTimeGuards(ruleSet, state.stage);

  if (ruleSet.lifecycle.candidates(state.stage, TRIGGER_TIME).length > 0) {
    for (const origin of [state.lastActivityAt ?? state.firstSeenAt, state.stageEnteredAt, state.lastDealAt]) {
      if (origin === null) continue;
      const from = parseTime(origin);
      for (const days of numbers.days) if (days >= 0) found.push(from + days * MS_PER_DAY);
    }
  }

  const halfLife = ruleSet.definition.decay.halfLifeDays;
  const base = state.engagementAtLastActivity;
  if (halfLife !== null && base !== 0 && state.lastActivityAt !== null) {
    const lastActivity = parseTime(state.lastActivityAt);
    const fromDay = Math.max(0, Math.floor((asOf - lastActivity) / MS_PER_DAY));
    const lastDay = lastDecayDay(base, halfLife);
    const fit = state.score.fit;
    const { hot, warm } = ruleSet.definition.bands;
    // The total crossing a band or a number a guard compares with, and the engagement crossing such a number.
    const crossings = [
      firstCrossing(base, halfLife, fit, hot, fromDay, lastDay),
      firstCrossing(base, halfLife, fit, warm, fromDay, lastDay),
    ];
    for (const score of numbers.scores) {
      crossings.push(
        firstCrossing(base, halfLife, fit, score, fromDay, lastDay),
        firstCrossing(base, halfLife, null, score, fromDay, lastDay),
      );
    }
    for (const day of crossings) if (day !== null) found.push(lastActivity + day * MS_PER_DAY);
  }

  const overdue = found.some((time) => time <= asOf);
  const times = [...new Set(found.filter((time) => time > asOf))].sort((a, b) => a - b);
  return { times, overdue };
}

/** A tick at `at` for this lead; its id is unique per lead, time and position in the lead's history. */
export function tickEvent(state: Pick<LeadState, 'leadId' | 'eventCount'>, at: string): LeadEvent {
  return { id: `tick:${state.leadId}:${at}:${state.eventCount}`, leadId: state.leadId, type: 'tick', occurredAt: at, properties: {} };
}

/**
 * The next moment time alone changes the lead's stage or band, with what a
 * tick then does; null when nothing will change without another event. A
 * change already due at the state's `asOf` (as after another rule set was
 * activated) is reported 1 ms after it, so the tick comes after the event
 * that left the state.
 */
export function nextTimeChange(ruleSet: CompiledRuleSet, state: LeadState): TimeChange | null {
  const asOf = parseTime(state.asOf);
  const { times, overdue } = candidateTimes(ruleSet, state, asOf);
  // 1 ms after the newest event, so the tick sorts after it whatever its id (ticks at the same time would sort by id).
  if (overdue && times[0] !== asOf + 1) times.unshift(asOf + 1);
  for (const time of times) {
    const at = iso(time);
    // The fast path, copying only what the tick changes: it gives the same stage and band as evaluate without building an explanation or route.
    const after = foldCopy(ruleSet, state, tickEvent(state, at)).state;
    if (after.stage !== state.stage || after.band !== state.band) return { at, stage: after.stage, band: after.band };
  }
  return null;
}

/**
 * The score and band a lead has at `time` (epoch ms) if nothing else happens:
 * engagement decayed by whole days since its last activity, as the next event
 * or tick would find it. For views of "now" between events.
 */
export function scoreAsOf(ruleSet: CompiledRuleSet, basis: ScoreBasis, time: number): { score: Score; band: Band } {
  const score = scoreAt(ruleSet, basis, time);
  return { score, band: bandOf(ruleSet, score.total) };
}
