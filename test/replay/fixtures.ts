/**
 * Fixtures for replay and metrics tests: rule sets derived from rules/v1.json,
 * events on a day-numbered calendar, and hand-built replay records.
 */
import { readFileSync } from 'node:fs';
import { leadEventSchema, loadRuleSet, type CompiledRuleSet, type LeadEvent, type RuleSetInput } from '../../engine/index';
import type { LeadReplay, ReplayResult, VersionRecord } from '../../engine/replay';
import type { Band, Stage } from '../../engine/schema';

const V1 = new URL('../../rules/v1.json', import.meta.url);

/** A fresh copy of rules/v1.json. */
export function v1Input(): RuleSetInput {
  return JSON.parse(readFileSync(V1, 'utf8')) as RuleSetInput;
}

export function compile(input: RuleSetInput): CompiledRuleSet {
  const result = loadRuleSet(input);
  if (!result.ok) throw new Error(`rule set should load: ${JSON.stringify(result.problems)}`);
  return result.ruleSet;
}

/** v1 as shipped. */
export function v1(): CompiledRuleSet {
  return compile(v1Input());
}

/** v1 without decay, so scores are plain sums that a test can add up by hand; `mql` sets the hand-off threshold. */
export function undecayed(version: string, mql: number, change: (rules: RuleSetInput) => void = () => {}): CompiledRuleSet {
  const rules = v1Input();
  rules.version = version;
  rules.decay = { halfLifeDays: null };
  rules.lifecycle.thresholds.mql = mql;
  change(rules);
  return compile(rules);
}

const EPOCH = Date.UTC(2024, 0, 1); // a Monday

/** ISO time `n` days (fractions allowed) after Monday 2024-01-01. */
export function day(n: number): string {
  return new Date(EPOCH + n * 86_400_000).toISOString();
}

/** A small history builder: `history().add('a', 0, 'email_open').add(...)`, events in the order added. */
export function history() {
  const events: LeadEvent[] = [];
  const builder = {
    events,
    add(leadId: string, onDay: number, type: string, properties: Record<string, unknown> = {}) {
      events.push(leadEventSchema.parse({ id: `${leadId}-${events.length + 1}`, leadId, type, occurredAt: day(onDay), properties }));
      return builder;
    },
  };
  return builder;
}

/** A version record for metrics tests: only what a test names differs from a lead that did nothing. */
export function record(fields: {
  score?: number;
  band?: Band;
  handOffAt?: string;
  stages?: Array<[Stage, string]>;
  highs?: Array<[number, string]>;
  rules?: Record<string, number>;
}): VersionRecord {
  const score = fields.score ?? 0;
  const band = fields.band ?? 'cold';
  const stages = fields.stages ?? [];
  return {
    handOff: fields.handOffAt ? { at: fields.handOffAt, stage: 'mql', transitionId: 'reached-mql-threshold', score, band } : null,
    judged: { at: fields.handOffAt ?? day(0), basis: fields.handOffAt ? 'hand-off' : 'horizon', score, band, rules: fields.rules ?? {} },
    horizonRules: fields.rules ?? {},
    highs: (fields.highs ?? []).map(([s, at]) => ({ score: s, at, time: Date.parse(at) })),
    stage: stages.length ? stages[stages.length - 1]![0] : 'inquiry',
    stageHistory: [
      { from: null, to: 'inquiry', at: day(0), transitionId: null, eventId: 'created' },
      ...stages.map(([to, at], i) => ({
        from: i === 0 ? ('inquiry' as Stage) : stages[i - 1]![0],
        to,
        at,
        transitionId: 't',
        eventId: `e${i}`,
      })),
    ],
  };
}

/** A lead of a hand-built replay. */
export function lead(leadId: string, outcome: 'won' | 'lost' | null, versions: VersionRecord[], firstTouchAt = day(0)): LeadReplay {
  return {
    leadId,
    firstTouchAt,
    lastActivityAt: firstTouchAt,
    outcome: outcome && { result: outcome, at: day(30), eventId: `${leadId}-outcome`, amount: null },
    versions,
  };
}

/** A hand-built replay result over weeks starting Monday 2024-01-01. */
export function replayOf(leads: LeadReplay[], versions = ['v1'], lastDay = 13): ReplayResult {
  return {
    versions,
    thresholds: versions.map(() => 60),
    bands: versions.map(() => ({ hot: 60, warm: 30 })),
    horizonDays: 90,
    period: { since: null, until: null, firstEventAt: day(0), lastEventAt: day(lastDay), endAt: day(lastDay) },
    events: { read: 0, beforePeriod: 0, unknownTypes: versions.map(() => ({})) },
    leads,
  };
}

/**
 * Four leads, two versions that differ only in the hand-off threshold
 * (60 and 40), no decay:
 * - a: click 10, demo 30 (40), webinar 20 (60), won on day 10
 * - b: two opens (10), lost on day 5
 * - c: demo 30, download 15 (45), lost on day 3
 * - d: click 10, still open
 */
export function fourLeads() {
  return history()
    .add('a', 0, 'email_click')
    .add('b', 0, 'email_open')
    .add('c', 0, 'demo_request')
    .add('d', 0.5, 'email_click')
    .add('a', 1, 'demo_request')
    .add('b', 1, 'email_open')
    .add('c', 1, 'document_download')
    .add('a', 2, 'webinar_attended')
    .add('c', 3, 'deal_lost', { reason: 'no budget' })
    .add('b', 5, 'deal_lost')
    .add('a', 10, 'deal_won', { amount: 1200 });
}
