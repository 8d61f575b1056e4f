import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leadEventSchema, type LeadEvent } from '../../engine/index';
import { candidateRules, type Candidate } from '../../engine/candidates';
import { featureRows, judgedHistory } from '../../engine/features';
import { replay } from '../../engine/replay';
import { v1 } from './fixtures';

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const ACTIVITIES = ['email_open', 'email_click', 'document_download', 'site_visit', 'contact_request', 'demo_request', 'email_unsubscribe'];
const LEADS = ['a', 'b', 'c', 'd'];
const OUTCOMES = new Set(['deal_won', 'deal_lost']);
const FROM = v1();

/** A random time-ordered history: activities, attribute updates, sales feedback and outcomes, spread over up to a year. */
const historyArbitrary = fc
  .array(
    fc.record({
      lead: fc.constantFrom(...LEADS),
      type: fc.constantFrom(...ACTIVITIES, 'lead_updated', 'sales_accepted', 'sales_rejected', 'tick', 'deal_won', 'deal_lost'),
      gapHours: fc.integer({ min: 0, max: 24 * 20 }),
      role: fc.constantFrom('executive', 'engineer'),
      companySize: fc.constantFrom(10, 500),
    }),
    { maxLength: 40 },
  )
  .map((steps) => {
    let hours = 0;
    return steps.map((step, i) => {
      hours += step.gapHours;
      const properties = step.type === 'lead_updated' ? { role: step.role, companySize: step.companySize } : {};
      const occurredAt = new Date(START + hours * 3_600_000).toISOString();
      return leadEventSchema.parse({ id: `e${i}`, leadId: step.lead, type: step.type, occurredAt, properties });
    });
  });

/** The history with one event changed, then in time order again (ties keep their order). */
function changed(events: readonly LeadEvent[], index: number, change: (event: LeadEvent) => LeadEvent): LeadEvent[] {
  const next = events.map((event, i) => (i === index ? change(event) : event));
  return next
    .map((event, order) => ({ event, order, time: Date.parse(event.occurredAt) }))
    .sort((a, b) => a.time - b.time || a.order - b.order)
    .map(({ event }) => event);
}

/** Candidates as suggest builds them: from the judged history of every lead. */
function candidatesOf(events: readonly LeadEvent[], horizonDays: number): Candidate[] {
  const known = judgedHistory(FROM, events, horizonDays);
  return candidateRules(FROM, known.events, new Set(known.leadIds), new Set());
}

describe('suggest features: what the parent could have known', () => {
  it('never change when an outcome moves later or won turns into lost', () => {
    const from = FROM;
    fc.assert(
      fc.property(
        historyArbitrary,
        fc.nat(),
        fc.oneof(fc.constant('flip' as const), fc.integer({ min: 1, max: 24 * 200 })),
        fc.integer({ min: 5, max: 120 }),
        (events, pick, change, horizonDays) => {
          const outcomes = events.flatMap((event, i) => (OUTCOMES.has(event.type) ? [i] : []));
          fc.pre(outcomes.length > 0);
          const index = outcomes[pick % outcomes.length]!;
          const moved = changed(events, index, (event) =>
            change === 'flip'
              ? { ...event, type: event.type === 'deal_won' ? 'deal_lost' : 'deal_won' }
              : { ...event, occurredAt: new Date(Date.parse(event.occurredAt) + change * 3_600_000).toISOString() },
          );
          const candidates = candidatesOf(events, horizonDays);
          expect(candidatesOf(moved, horizonDays)).toEqual(candidates);
          expect(featureRows(from, candidates, moved, { horizonDays })).toEqual(featureRows(from, candidates, events, { horizonDays }));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('are taken where replay judges the parent: its own points times its rules’ features give its judged score', () => {
    const from = FROM;
    const own: Candidate[] = from.definition.scoring.map(({ points: _points, ...rule }) => ({ rule, fromParent: true }));
    const points = from.definition.scoring.map((rule) => rule.points);
    fc.assert(
      fc.property(historyArbitrary, fc.integer({ min: 5, max: 120 }), (events, horizonDays) => {
        const rows = featureRows(from, own, events, { horizonDays });
        for (const lead of replay([from], events, { horizonDays }).leads) {
          const score = rows.get(lead.leadId)!.reduce((sum, [j, x]) => sum + points[j]! * x, 0);
          // The engine keeps scores to cents at every decay step; the features are exact.
          expect(Math.abs(score - lead.versions[0]!.judged.score)).toBeLessThan(0.05);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('stop at the parent’s hand-off: a demo request after it adds nothing', () => {
    const from = FROM;
    const at = (days: number) => new Date(START + days * DAY).toISOString();
    const event = (id: string, type: string, days: number) => leadEventSchema.parse({ id, leadId: 'a', type, occurredAt: at(days) });
    // Two demo requests on the first day reach v1's hand-off at 60; the third comes after it.
    const events = [event('1', 'demo_request', 0), event('2', 'demo_request', 0.5), event('3', 'demo_request', 0.9)];
    const own: Candidate[] = [
      { rule: { id: 'each-demo', label: 'Each demo request', kind: 'engagement', on: ['demo_request'] }, fromParent: false },
    ];
    expect(replay([from], events).leads[0]!.versions[0]!.handOff?.at).toBe(at(0.5));
    expect(featureRows(from, own, events).get('a')).toEqual([[0, 2]]);
  });

  it('stop at the horizon: what comes after it adds nothing, and the lead is judged on its last event within it', () => {
    const from = FROM;
    const at = (days: number) => new Date(START + days * DAY).toISOString();
    const event = (id: string, type: string, days: number) => leadEventSchema.parse({ id, leadId: 'a', type, occurredAt: at(days) });
    const events = [event('1', 'email_open', 0), event('2', 'email_open', 30), event('3', 'email_open', 91)];
    const each: Candidate[] = [
      { rule: { id: 'each-open', label: 'Each open', kind: 'engagement', on: ['email_open'] }, fromParent: false },
    ];
    // At day 30 the first open has decayed one half-life (30 days): 0.5 + 1.
    expect(featureRows(from, each, events).get('a')).toEqual([[0, 1.5]]);
    expect(featureRows(from, each, events, { horizonDays: 100 }).get('a')).toEqual([[0, 1.5 * Math.pow(0.5, 61 / 30) + 1]]);
  });
});
