/**
 * Test cases that travel with a rule set: each case's events are applied to a
 * new lead exactly as `leadflow evaluate` applies them, time is moved on to
 * the case's "as of" moment as the server's clock would move it, and every
 * expectation is checked. Pure: time comes from the case, never a clock.
 */
import { nextTimeChange, scoreAsOf, tickEvent } from './clock';
import { EvaluationError, applyEvent } from './evaluate';
import type { CompiledRuleSet, Problem } from './ruleset';
import { BANDS, type Band, type Case, type CaseExpectation } from './schema';
import type { Explanation, LeadEvent, LeadState, Route, Score } from './types';

/** The lead id a case's events are applied under. */
export const CASE_LEAD_ID = 'case';
/** Id of the `lead_updated` event that sets a case's attributes. */
const ATTRIBUTES_EVENT_ID = 'attributes';
/** Time-based changes applied after the last event, at most: far more than any rule set's chain of time transitions. */
const MAX_TICKS = 1000;

/** One expectation that does not hold, in words, with what was expected and what the lead has. */
export interface CaseDifference {
  /** Where in the case: `expect.band`, `expect.fired[1]`, `events[2]`, `asOf`. */
  path: string;
  message: string;
  expected?: unknown;
  actual?: unknown;
}

/** What a case's lead came to, as of the case's time. */
export interface CaseOutcome {
  stage: LeadState['stage'];
  band: Band;
  score: Score;
  /** Id of the routing rule (or default route) the lead is routed by. */
  route: string;
  /** Scoring rules that gave points and transitions that were taken, by the event that first fired them. */
  fired: string[];
}

export interface CaseResult {
  name: string;
  passed: boolean;
  /** When the expectations were checked; null when the case could not be run. */
  asOf: string | null;
  /** Null when the events could not be applied. */
  actual: CaseOutcome | null;
  /** Every expectation that does not hold, in the order checked; the first is the one to show. */
  differences: CaseDifference[];
}

/** Where a rule first fired: the event and its time. */
interface Firing {
  eventId: string;
  at: string;
}

/** The case's events as engine events, attributes first, in time order (ties keep the order written), each with its index in the case. */
function caseEvents(testCase: Case): Array<{ event: LeadEvent; path: string }> {
  const written = testCase.events.map((event, i) => ({
    event: {
      id: event.id ?? String(i + 1),
      leadId: CASE_LEAD_ID,
      type: event.type,
      occurredAt: event.occurredAt,
      properties: event.properties ?? {},
    },
    path: `events[${i}]`,
    time: Date.parse(event.occurredAt),
  }));
  // Array.prototype.sort is stable, so events at the same time keep the order written.
  written.sort((a, b) => a.time - b.time);
  if (!testCase.attributes) return written;
  const first = written[0]!.event;
  const attributes: LeadEvent = {
    id: ATTRIBUTES_EVENT_ID,
    leadId: CASE_LEAD_ID,
    type: 'lead_updated',
    occurredAt: first.occurredAt,
    properties: testCase.attributes,
  };
  return [{ event: attributes, path: 'attributes' }, ...written];
}

function recordFirings(explanation: Explanation, fired: Map<string, Firing>): void {
  const firing = { eventId: explanation.eventId, at: explanation.at };
  for (const rule of explanation.rules) {
    // A rule whose cap withheld all its points did not fire.
    if (rule.capped && rule.points === 0) continue;
    if (!fired.has(rule.ruleId)) fired.set(rule.ruleId, firing);
  }
  for (const change of explanation.stageChanges) if (!fired.has(change.transitionId)) fired.set(change.transitionId, firing);
}

/** A score as people read it: at most 2 decimals, no trailing zeros. */
function points(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Runs one case against a compiled rule set. */
export function runCase(ruleSet: CompiledRuleSet, testCase: Case): CaseResult {
  const failed = (difference: CaseDifference): CaseResult => ({
    name: testCase.name,
    passed: false,
    asOf: null,
    actual: null,
    differences: [difference],
  });
  const events = caseEvents(testCase);
  const last = events[events.length - 1]!.event;
  const asOf = testCase.asOf ?? last.occurredAt;
  const asOfTime = Date.parse(asOf);
  if (asOfTime < Date.parse(last.occurredAt)) {
    return failed({ path: 'asOf', message: `asOf ${asOf} is before the last event (${last.occurredAt})`, expected: asOf });
  }

  let state: LeadState | null = null;
  const fired = new Map<string, Firing>();
  for (const { event, path } of events) {
    try {
      const result = applyEvent(ruleSet, state, event);
      state = result.state;
      recordFirings(result.explanation, fired);
    } catch (error) {
      if (error instanceof EvaluationError) return failed({ path, message: `${path}: ${error.message}` });
      throw error;
    }
  }
  // Time-based changes after the last event, each at the moment it falls due, as the server's clock applies them.
  for (let ticks = 0; ticks < MAX_TICKS; ticks++) {
    const change = nextTimeChange(ruleSet, state!);
    if (!change || Date.parse(change.at) > asOfTime) break;
    const result = applyEvent(ruleSet, state, tickEvent(state!, change.at));
    state = result.state;
    recordFirings(result.explanation, fired);
  }
  const lead = state!;
  const { score, band } = scoreAsOf(ruleSet, lead, asOfTime);
  const actual: CaseOutcome = { stage: lead.stage, band, score, route: lead.route.ruleId, fired: [...fired.keys()] };
  const differences = compare(ruleSet, testCase.expect, actual, lead, fired);
  return { name: testCase.name, passed: differences.length === 0, asOf: new Date(asOfTime).toISOString(), actual, differences };
}

/**
 * Runs every case against a compiled rule set; returns, per case, whether it
 * passed and, for a failure, every difference in words.
 */
export function runCases(ruleSet: CompiledRuleSet, cases: readonly Case[]): CaseResult[] {
  return cases.map((testCase) => runCase(ruleSet, testCase));
}

/** The bands from the highest: hot, warm, cold. */
const BAND_RANK: Record<Band, number> = Object.fromEntries(BANDS.map((band, i) => [band, BANDS.length - i])) as Record<Band, number>;

function bandDifference(ruleSet: CompiledRuleSet, expected: Band, actual: Band, score: Score): CaseDifference {
  // The threshold that separates the two: the lower bound of the higher band.
  const higher = BAND_RANK[expected] > BAND_RANK[actual] ? expected : actual;
  const threshold = ruleSet.definition.bands[higher as 'hot' | 'warm'];
  return {
    path: 'expect.band',
    message: `band: expected ${expected}, got ${actual} (score ${points(score.total)}, ${higher} from ${points(threshold)})`,
    expected,
    actual,
  };
}

function stageDifference(expected: string, lead: LeadState): CaseDifference {
  const entry = lead.stageHistory[lead.stageHistory.length - 1]!;
  const how = entry.transitionId ? `entered by "${entry.transitionId}" at ${entry.at}` : `never left it`;
  return { path: 'expect.stage', message: `stage: expected ${expected}, got ${lead.stage} (${how})`, expected, actual: lead.stage };
}

function routeDifference(expected: string, route: Route): CaseDifference {
  const owner = route.owner ? `, owner ${route.owner}` : '';
  return {
    path: 'expect.route',
    message: `route: expected ${expected}, got ${route.ruleId} (queue ${route.queue}${owner}, by ${route.approach})`,
    expected,
    actual: route.ruleId,
  };
}

/** Ids a case may expect to fire: scoring rules and transitions. */
function firingIds(ruleSet: CompiledRuleSet): Set<string> {
  const { scoring, lifecycle } = ruleSet.definition;
  return new Set([...scoring.map((rule) => rule.id), ...lifecycle.transitions.map((transition) => transition.id)]);
}

function compare(
  ruleSet: CompiledRuleSet,
  expect: CaseExpectation,
  actual: CaseOutcome,
  lead: LeadState,
  fired: ReadonlyMap<string, Firing>,
): CaseDifference[] {
  const differences: CaseDifference[] = [];
  const { score } = actual;
  if (expect.band !== undefined && expect.band !== actual.band) differences.push(bandDifference(ruleSet, expect.band, actual.band, score));
  if (expect.stage !== undefined && expect.stage !== actual.stage) differences.push(stageDifference(expect.stage, lead));
  if (expect.route !== undefined && expect.route !== actual.route) differences.push(routeDifference(expect.route, lead.route));
  const parts = `fit ${points(score.fit)}, engagement ${points(score.engagement)}`;
  const { atLeast, atMost } = expect.score ?? {};
  if (atLeast !== undefined && score.total < atLeast) {
    differences.push({
      path: 'expect.score.atLeast',
      message: `score: expected at least ${points(atLeast)}, got ${points(score.total)} (${parts})`,
      expected: atLeast,
      actual: score.total,
    });
  }
  if (atMost !== undefined && score.total > atMost) {
    differences.push({
      path: 'expect.score.atMost',
      message: `score: expected at most ${points(atMost)}, got ${points(score.total)} (${parts})`,
      expected: atMost,
      actual: score.total,
    });
  }
  const known = firingIds(ruleSet);
  const unknown = (id: string, path: string): CaseDifference => ({
    path,
    message: `rule "${id}" is not a scoring rule or transition of ${ruleSet.version}`,
    expected: id,
  });
  (expect.fired ?? []).forEach((id, i) => {
    const path = `expect.fired[${i}]`;
    if (!known.has(id)) differences.push(unknown(id, path));
    else if (!fired.has(id))
      differences.push({ path, message: `rule "${id}" was expected to fire and did not`, expected: 'fired', actual: 'not fired' });
  });
  (expect.notFired ?? []).forEach((id, i) => {
    const path = `expect.notFired[${i}]`;
    const firing = fired.get(id);
    if (!known.has(id)) differences.push(unknown(id, path));
    else if (firing)
      differences.push({
        path,
        message: `rule "${id}" was expected not to fire and fired (event "${firing.eventId}" at ${firing.at})`,
        expected: 'not fired',
        actual: 'fired',
      });
  });
  return differences;
}

/**
 * What a list of cases has wrong beyond its shape: names must be unique, each
 * case must expect something, and score bounds must not cross.
 */
export function caseProblems(cases: readonly Case[], base = 'cases'): Problem[] {
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  cases.forEach((testCase, i) => {
    const path = `${base}[${i}]`;
    const first = names.get(testCase.name);
    if (first !== undefined)
      problems.push({ path: `${path}.name`, message: `duplicate name "${testCase.name}" (first at ${base}[${first}])` });
    else names.set(testCase.name, i);
    const { score, ...rest } = testCase.expect;
    const expectsSomething =
      Object.values(rest).some((value) => value !== undefined) || (score && (score.atLeast !== undefined || score.atMost !== undefined));
    if (!expectsSomething) problems.push({ path: `${path}.expect`, message: 'a case must expect at least one thing' });
    if (score?.atLeast !== undefined && score.atMost !== undefined && score.atLeast > score.atMost) {
      problems.push({
        path: `${path}.expect.score`,
        message: `bounds out of order: atLeast (${score.atLeast}) must not exceed atMost (${score.atMost})`,
      });
    }
  });
  return problems;
}

/** The state a kept case records: what the lead has now. */
export interface LeadOutcome {
  stage: LeadState['stage'];
  band: Band;
  score: Pick<Score, 'total'>;
  route: Pick<Route, 'ruleId'>;
}

/**
 * A case that keeps a lead's current outcome: its stored events (which carry
 * its attributes as `lead_updated` events) and its band, stage, route and
 * score as of `asOf` as expectations, so a later rule set that changes them
 * fails it.
 */
export function caseFromLead(name: string, events: readonly LeadEvent[], outcome: LeadOutcome, asOf: string): Case {
  return {
    name,
    events: events.map(({ id, type, occurredAt, properties }) => ({
      id,
      type,
      occurredAt,
      ...(Object.keys(properties).length > 0 && { properties }),
    })),
    asOf,
    expect: {
      band: outcome.band,
      stage: outcome.stage,
      route: outcome.route.ruleId,
      score: { atLeast: outcome.score.total, atMost: outcome.score.total },
    },
  };
}
