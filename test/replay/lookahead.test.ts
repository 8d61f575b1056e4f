import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leadEventSchema, type LeadEvent } from '../../engine/index';
import { replayReport, versionMetrics } from '../../engine/metrics';
import { replay, type ReplayResult } from '../../engine/replay';
import { day, history, undecayed, v1 } from './fixtures';

const ACTIVITIES = ['email_open', 'email_click', 'document_download', 'webinar_attended', 'site_visit', 'contact_request', 'demo_request'];
const AFTER_OUTCOME = [
  ...ACTIVITIES,
  'lead_updated',
  'sales_accepted',
  'sales_rejected',
  'sales_qualified',
  'deal_won',
  'deal_lost',
  'tick',
];
const LEADS = ['a', 'b', 'c', 'd'];
const OUTCOME_TYPES = new Set(['deal_won', 'deal_lost']);

/** What a version is judged on, per lead: nothing here may depend on the outcome or on events after the horizon. */
function judgements(result: ReplayResult) {
  return result.leads.map((lead) => ({
    leadId: lead.leadId,
    outcome: lead.outcome,
    versions: lead.versions.map(({ handOff, judged, highs }) => ({ handOff, judged, highs })),
  }));
}

/** A random time-ordered history: per lead a few activities, then maybe an outcome. */
const historyArbitrary = fc
  .array(
    fc.record({
      lead: fc.constantFrom(...LEADS),
      type: fc.constantFrom(...ACTIVITIES, 'lead_updated', 'sales_accepted', 'tick', 'deal_won', 'deal_lost'),
      gapHours: fc.integer({ min: 0, max: 24 * 20 }),
      role: fc.constantFrom('executive', 'engineer'),
    }),
    { maxLength: 40 },
  )
  .map((steps) => {
    let hours = 0;
    return steps.map((step, i) => {
      hours += step.gapHours;
      const properties = step.type === 'lead_updated' ? { role: step.role } : {};
      return leadEventSchema.parse({ id: `e${i}`, leadId: step.lead, type: step.type, occurredAt: day(hours / 24), properties });
    });
  });

/** Events for every lead, all after every event of `events`. */
const laterEventsArbitrary = fc.array(
  fc.record({ lead: fc.constantFrom(...LEADS), type: fc.constantFrom(...AFTER_OUTCOME), gapHours: fc.integer({ min: 0, max: 24 * 200 }) }),
  { minLength: 1, maxLength: 30 },
);

function appendAfter(events: LeadEvent[], later: Array<{ lead: string; type: string; gapHours: number }>): LeadEvent[] {
  let time = events.length ? Date.parse(events[events.length - 1]!.occurredAt) : Date.parse(day(0));
  return [
    ...events,
    ...later.map((step, i) => {
      time += step.gapHours * 3_600_000;
      const properties = step.type === 'lead_updated' ? { role: 'executive', companySize: 500 } : {};
      return leadEventSchema.parse({
        id: `later-${i}`,
        leadId: step.lead,
        type: step.type,
        occurredAt: new Date(time).toISOString(),
        properties,
      });
    }),
  ];
}

/** Each lead's activities (never an outcome), in time order, and the outcome each lead may get. */
const activitiesArbitrary = historyArbitrary.map((events) => events.filter((event) => !OUTCOME_TYPES.has(event.type)));
const outcomesArbitrary = fc.array(
  fc.record({
    lead: fc.constantFrom(...LEADS),
    won: fc.boolean(),
    afterHours: fc.integer({ min: 0, max: 24 * 400 }),
    laterHours: fc.integer({ min: 0, max: 24 * 400 }),
    flip: fc.boolean(),
  }),
  { maxLength: LEADS.length },
);

/** The activities with one outcome per named lead that has any, `afterHours` after its first activity; the stream in time order. */
function withOutcomes(activities: LeadEvent[], outcomes: Array<{ lead: string; won: boolean; afterHours: number }>): LeadEvent[] {
  const seen = new Set<string>();
  const added = outcomes.flatMap(({ lead, won, afterHours }) => {
    const first = activities.find((event) => event.leadId === lead);
    if (!first || seen.has(lead)) return [];
    seen.add(lead);
    const at = new Date(Date.parse(first.occurredAt) + afterHours * 3_600_000).toISOString();
    return [leadEventSchema.parse({ id: `outcome-${lead}`, leadId: lead, type: won ? 'deal_won' : 'deal_lost', occurredAt: at })];
  });
  // Stable: an outcome at the same time as an activity comes after it.
  return [...activities, ...added].sort((x, y) => Date.parse(x.occurredAt) - Date.parse(y.occurredAt));
}

describe('no look-ahead', () => {
  it('judges a lead only on events within its horizon, whatever happens after it', () => {
    const upToHorizon = history().add('b', 0, 'email_open').add('b', 1, 'email_open').add('b', 5, 'deal_lost');
    const before = replay([undecayed('v1', 60)], upToHorizon.events);
    const after = replay(
      [undecayed('v1', 60)],
      upToHorizon.add('b', 96, 'demo_request').add('b', 97, 'demo_request').add('b', 98, 'demo_request').events,
    );

    const [b] = after.leads;
    expect(b!.versions[0]!.stage).toBe('mql'); // the state moved on…
    expect(b!.versions[0]!.handOff).toBeNull(); // …but the version is still judged as it stood at the end of the 90-day horizon
    expect(b!.versions[0]!.judged).toEqual(before.leads[0]!.versions[0]!.judged);
    expect(versionMetrics(after, 0).classification).toEqual(versionMetrics(before, 0).classification);
  });

  it('a later deal does not replace the outcome first known', () => {
    const events = history()
      .add('a', 0, 'email_open')
      .add('a', 2, 'deal_lost')
      .add('a', 40, 'demo_request')
      .add('a', 41, 'deal_won').events;
    expect(replay([v1()], events).leads[0]!.outcome).toMatchObject({ result: 'lost', at: day(2) });
  });

  it('no event after a lead’s horizon changes its hand-off, judged score, band, rule points or score highs', () => {
    fc.assert(
      fc.property(historyArbitrary, laterEventsArbitrary, (events, later) => {
        const ruleSets = [v1(), undecayed('v2', 40)];
        const options = { horizonDays: 30 };
        const strip = (result: ReplayResult) => judgements(result).map(({ outcome: _outcome, ...rest }) => rest);
        const before = strip(replay(ruleSets, events, options));
        // Every later event comes more than 30 days after the last event of the history, so after every lead's horizon.
        const after = strip(replay(ruleSets, appendAfter(events, [{ lead: 'a', type: 'tick', gapHours: 31 * 24 }, ...later]), options));
        // A lead's horizon starts at its first activity: a lead with only an outcome so far has not started one.
        const active = new Set(events.filter((event) => !OUTCOME_TYPES.has(event.type)).map((event) => event.leadId));
        const compared = (leads: typeof before) => leads.filter((lead) => active.has(lead.leadId));
        expect(compared(after)).toEqual(compared(before));
      }),
      { numRuns: 150 },
    );
  });

  it('moving any outcome later, or changing won to lost, changes no judged score, band, hand-off, rule points or score high', () => {
    fc.assert(
      fc.property(activitiesArbitrary, outcomesArbitrary, (activities, outcomes) => {
        const ruleSets = [v1(), undecayed('v2', 40)];
        const moved = outcomes.map((o) => ({ ...o, afterHours: o.afterHours + o.laterHours, won: o.flip ? !o.won : o.won }));
        const strip = (result: ReplayResult) => judgements(result).map(({ outcome: _outcome, ...rest }) => rest);
        expect(strip(replay(ruleSets, withOutcomes(activities, moved)))).toEqual(
          strip(replay(ruleSets, withOutcomes(activities, outcomes))),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('judges a lead with no activity at all, only an outcome, at zero points whichever the outcome', () => {
    const won = replay([v1()], history().add('x', 3, 'deal_won').events).leads[0]!.versions[0]!;
    const lost = replay([v1()], history().add('x', 3, 'deal_lost').events).leads[0]!.versions[0]!;
    expect(won.judged).toMatchObject({ basis: 'horizon', score: 0, band: 'cold' });
    expect(lost.judged).toEqual(won.judged);
  });
});

describe('determinism', () => {
  it('gives a byte-identical report for the same history and versions', () => {
    fc.assert(
      fc.property(historyArbitrary, (events) => {
        const first = JSON.stringify(replayReport(replay([v1(), undecayed('v2', 40)], events)));
        const second = JSON.stringify(replayReport(replay([v1(), undecayed('v2', 40)], structuredClone(events))));
        expect(second).toBe(first);
      }),
      { numRuns: 100 },
    );
  });

  it('replays each version side by side exactly as it would alone', () => {
    fc.assert(
      fc.property(historyArbitrary, (events) => {
        const together = replay([v1(), undecayed('v2', 40)], events);
        const alone = replay([undecayed('v2', 40)], events);
        expect(together.leads.map((l) => l.versions[1])).toEqual(alone.leads.map((l) => l.versions[0]));
      }),
      { numRuns: 100 },
    );
  });
});
