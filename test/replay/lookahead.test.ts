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

/** What a version is judged on, per lead: nothing here may depend on events after the outcome. */
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
      type: fc.constantFrom(...ACTIVITIES, 'lead_updated', 'sales_accepted', 'deal_won', 'deal_lost'),
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

describe('no look-ahead', () => {
  it('judges a lead on the score it had when its outcome became known, whatever happens later', () => {
    const upToOutcome = history().add('b', 0, 'email_open').add('b', 1, 'email_open').add('b', 5, 'deal_lost');
    const before = replay([undecayed('v1', 60)], upToOutcome.events);
    const after = replay(
      [undecayed('v1', 60)],
      upToOutcome.add('b', 6, 'demo_request').add('b', 7, 'demo_request').add('b', 8, 'demo_request').events,
    );

    const [b] = after.leads;
    expect(b!.versions[0]!.stage).toBe('mql'); // the state moved on…
    expect(b!.versions[0]!.handOff).toBeNull(); // …but the version is still judged as it stood at the outcome
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

  it('no event after a lead’s outcome changes its hand-off, judged score, band, rule points or score highs', () => {
    fc.assert(
      fc.property(historyArbitrary, laterEventsArbitrary, (events, later) => {
        const ruleSets = [v1(), undecayed('v2', 40)];
        const resolved = new Set(
          replay(ruleSets, events)
            .leads.filter((l) => l.outcome)
            .map((l) => l.leadId),
        );
        const laterForResolved = later.filter((step) => resolved.has(step.lead));
        const before = judgements(replay(ruleSets, events)).filter((l) => resolved.has(l.leadId));
        const after = judgements(replay(ruleSets, appendAfter(events, laterForResolved))).filter((l) => resolved.has(l.leadId));
        expect(after).toEqual(before);
      }),
      { numRuns: 150 },
    );
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
