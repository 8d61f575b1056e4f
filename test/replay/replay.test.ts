import { describe, expect, it } from 'vitest';
import { evaluateBatch } from '../../engine/index';
import { ReplayError, replay } from '../../engine/replay';
import { compile, day, fourLeads, history, undecayed, v1, v1Input } from './fixtures';

const versions = () => [undecayed('v1', 60), undecayed('v2', 40)];

function leadOf(result: ReturnType<typeof replay>, leadId: string) {
  const found = result.leads.find((l) => l.leadId === leadId);
  if (!found) throw new Error(`no lead ${leadId}`);
  return found;
}

describe('replay', () => {
  it('records the actual outcome of each lead, whatever the versions', () => {
    const result = replay(versions(), fourLeads().events);
    expect(result.leads.map((l) => [l.leadId, l.outcome?.result ?? null, l.outcome?.at ?? null])).toEqual([
      ['a', 'won', day(10)],
      ['b', 'lost', day(5)],
      ['c', 'lost', day(3)],
      ['d', null, null],
    ]);
    expect(leadOf(result, 'a').outcome?.amount).toBe(1200);
  });

  it('records when each version hands a lead to sales and the score and band at that moment', () => {
    const a = leadOf(replay(versions(), fourLeads().events), 'a');
    expect(a.versions[0]!.handOff).toEqual({ at: day(2), stage: 'mql', transitionId: 'reached-mql-threshold', score: 60, band: 'hot' });
    expect(a.versions[1]!.handOff).toEqual({ at: day(1), stage: 'mql', transitionId: 'reached-mql-threshold', score: 40, band: 'warm' });
    expect(a.versions[1]!.judged).toMatchObject({ basis: 'hand-off', at: day(1), score: 40, band: 'warm' });
  });

  it('judges a lead never handed over on its score after its last event within the horizon', () => {
    const c = leadOf(replay(versions(), fourLeads().events), 'c');
    expect(c.versions[0]!.handOff).toBeNull();
    expect(c.versions[0]!.judged).toMatchObject({ basis: 'horizon', at: day(1), score: 45, band: 'warm' });
    expect(c.versions[0]!.judged.rules).toEqual({ 'contact-or-demo-request': 30, 'document-download': 15 });
  });

  it('judges an open lead like a resolved one, after its last event within the horizon, whatever the end of the period', () => {
    const d = leadOf(replay(versions(), fourLeads().events, { until: day(20) }), 'd');
    expect(d.versions[0]!.judged).toMatchObject({ basis: 'horizon', at: day(0.5), score: 10, band: 'cold' });
    expect(d.lastActivityAt).toBe(day(0.5));
  });

  it('judges on events within the horizon only: later activity neither scores nor hands off', () => {
    // A click on day 0 (10 points), then a demo request on day 31 (30 more): 40 would reach v2's threshold.
    const events = history().add('x', 0, 'email_click').add('x', 31, 'demo_request').add('x', 40, 'deal_won').events;
    const [x] = replay([undecayed('v2', 40)], events, { horizonDays: 30 }).leads;
    expect(x!.versions[0]!.judged).toMatchObject({ basis: 'horizon', at: day(0), score: 10 });
    expect(x!.versions[0]!.handOff).toBeNull();
    expect(x!.versions[0]!.highs.map((high) => high.score)).toEqual([10]);
    // The stages still follow every event: the version moved the lead to MQL on day 31.
    expect(x!.versions[0]!.stageHistory.map((change) => change.to)).toEqual(['inquiry', 'mql']);
    const [wide] = replay([undecayed('v2', 40)], events, { horizonDays: 31 }).leads;
    expect(wide!.versions[0]!.judged).toMatchObject({ basis: 'hand-off', at: day(31), score: 40 });
  });

  it('decays engagement between events, not after the last one: the outcome date cannot age a score', () => {
    // v1 halves engagement every 30 days: 10 points of a click on day 0 are 5 by day 30.
    const events = history().add('x', 0, 'email_click').add('x', 30, 'email_open').add('x', 200, 'deal_lost').events;
    const [x] = replay([v1()], events).leads;
    expect(x!.versions[0]!.judged).toMatchObject({ basis: 'horizon', at: day(30), score: 10 });
  });

  it('never applies an outcome to the judged state, even when the outcome comes within the horizon', () => {
    // A won deal makes the lead a customer; a customer's demo request goes straight to SQL in v1 (a hand-off).
    const won = history().add('x', 0, 'email_open').add('x', 1, 'deal_won').add('x', 2, 'demo_request').events;
    const lost = history().add('x', 0, 'email_open').add('x', 1, 'deal_lost').add('x', 2, 'demo_request').events;
    const [a] = replay([undecayed('v1', 60)], won).leads;
    const [b] = replay([undecayed('v1', 60)], lost).leads;
    expect(a!.versions[0]!.judged).toEqual(b!.versions[0]!.judged);
    expect(a!.versions[0]!.handOff).toEqual(b!.versions[0]!.handOff);
    expect(a!.versions[0]!.judged).toMatchObject({ basis: 'horizon', at: day(2), score: 35 });
    // The stages the lead ends in do follow the outcome.
    expect(a!.versions[0]!.stage).not.toBe(b!.versions[0]!.stage);
  });

  it('refuses a horizon that is not a positive number of days', () => {
    expect(() => replay([v1()], fourLeads().events, { horizonDays: 0 })).toThrow(ReplayError);
    expect(() => replay([v1()], fourLeads().events, { horizonDays: Number.NaN })).toThrow(/horizon/);
  });

  it('keeps each version equal to evaluating it alone', () => {
    const events = fourLeads().events;
    const result = replay(versions(), events);
    versions().forEach((ruleSet, i) => {
      const alone = evaluateBatch(ruleSet, events);
      for (const lead of result.leads) {
        const state = alone.get(lead.leadId)!;
        expect(lead.versions[i]!.stage).toBe(state.stage);
        expect(lead.versions[i]!.stageHistory).toEqual(state.stageHistory);
      }
    });
  });

  it('keeps sales feedback flowing to the stages after the hand-off', () => {
    const events = history()
      .add('a', 0, 'demo_request')
      .add('a', 1, 'demo_request')
      .add('a', 2, 'sales_accepted')
      .add('a', 3, 'sales_qualified')
      .add('a', 9, 'deal_won').events;
    const [a] = replay([undecayed('v1', 60)], events).leads;
    expect(a!.versions[0]!.stageHistory.map((change) => change.to)).toEqual(['inquiry', 'mql', 'sal', 'sql', 'won']);
    expect(a!.versions[0]!.handOff?.at).toBe(day(1));
  });

  it('counts a customer sent straight to SQL by its own request as a hand-off', () => {
    const events = history().add('a', 0, 'lead_updated', { customer: true }).add('a', 1, 'contact_request').events;
    const [a] = replay([undecayed('v1', 60)], events).leads;
    expect(a!.versions[0]!.handOff).toMatchObject({ at: day(1), stage: 'sql', transitionId: 'customer-inquiry', score: 30 });
  });

  it('never credits a version with a stage reached by sales feedback or the outcome itself', () => {
    const eager = undecayed('v2', 60, (rules) => {
      rules.lifecycle.transitions.push(
        { id: 'accepted-directly', label: 'Accepted without hand-off', from: ['inquiry'], to: 'sal', on: ['sales_accepted'] },
        { id: 'won-directly', label: 'Won without hand-off', from: ['inquiry'], to: 'won', on: ['deal_won'] },
      );
    });
    const events = history()
      .add('a', 0, 'email_open')
      .add('a', 1, 'sales_accepted')
      .add('b', 1, 'email_open')
      .add('b', 2, 'deal_won').events;
    const result = replay([eager], events);
    expect(leadOf(result, 'a').versions[0]!.stageHistory.map((c) => c.to)).toEqual(['inquiry', 'sal']);
    expect(leadOf(result, 'b').versions[0]!.stageHistory.map((c) => c.to)).toEqual(['inquiry', 'won']);
    expect(result.leads.map((l) => l.versions[0]!.handOff)).toEqual([null, null]);
  });

  it('records each new score high after an activity, up to the outcome', () => {
    const a = leadOf(replay(versions(), fourLeads().events), 'a');
    expect(a.versions[0]!.highs).toEqual([
      { score: 10, at: day(0), time: Date.parse(day(0)) },
      { score: 40, at: day(1), time: Date.parse(day(1)) },
      { score: 60, at: day(2), time: Date.parse(day(2)) },
    ]);
  });
});

describe('replay period', () => {
  it('replays only leads first seen at or after `since`', () => {
    const events = history().add('early', 0, 'email_open').add('late', 2, 'email_open').add('early', 3, 'demo_request').events;
    const result = replay([v1()], events, { since: day(1) });
    expect(result.leads.map((l) => l.leadId)).toEqual(['late']);
    expect(result.events).toMatchObject({ read: 3, beforePeriod: 2 });
  });

  it('reads nothing at or after `until`: a later outcome leaves the lead open', () => {
    const result = replay([v1()], history().add('a', 0, 'email_open').add('a', 5, 'deal_won').events, { until: day(5) });
    expect(result.leads[0]!.outcome).toBeNull();
    expect(result.period).toMatchObject({ until: day(5), endAt: day(5), lastEventAt: day(0) });
  });

  it('rejects a period that ends before it starts', () => {
    expect(() => replay([v1()], [], { since: day(2), until: day(1) })).toThrow(ReplayError);
  });
});

describe('replay input', () => {
  it("refuses a lead's history out of time order", () => {
    const events = history().add('a', 2, 'email_open').add('a', 1, 'email_open').events;
    expect(() => replay([v1()], events)).toThrow(/earlier than the event before it of lead "a"/);
  });

  it('needs time order only within each lead: leads grouped give the same result as leads interleaved', () => {
    const inTimeOrder = fourLeads().events;
    const byLead = [...inTimeOrder].sort((x, y) => (x.leadId < y.leadId ? 1 : x.leadId > y.leadId ? -1 : 0));
    expect(byLead.map((e) => e.leadId)).not.toEqual(inTimeOrder.map((e) => e.leadId));
    expect(replay(versions(), byLead, { groupedByLead: true })).toEqual(replay(versions(), inTimeOrder));
    expect(replay(versions(), byLead)).toEqual(replay(versions(), inTimeOrder));
  });

  it('refuses a grouped history in which a lead appears twice', () => {
    const events = history().add('a', 0, 'email_open').add('b', 1, 'email_open').add('a', 2, 'email_open').events;
    expect(() => replay([v1()], events, { groupedByLead: true })).toThrow(/lead "a" appears in two places/);
    expect(replay([v1()], events).leads.map((l) => l.leadId)).toEqual(['a', 'b']);
  });

  it('ends the period of a grouped history at its last event, known only after the last lead', () => {
    const events = history().add('a', 0, 'webinar_attended').add('b', 30, 'email_open').events;
    const result = replay([v1()], events, { groupedByLead: true });
    expect(result.period.endAt).toBe(day(30));
    expect(result.leads[0]!.versions[0]!.judged).toMatchObject({ basis: 'horizon', at: day(0), score: 20 });
  });

  it('skips, per version, event types the version does not know, and counts them', () => {
    const withPodcast = v1Input();
    withPodcast.version = 'v2';
    withPodcast.eventTypes.push({ type: 'podcast_listened', label: 'Podcast', category: 'content' });
    const events = history().add('a', 0, 'podcast_listened').add('a', 1, 'email_open').events;
    const result = replay([v1(), compile(withPodcast)], events);
    expect(result.events.unknownTypes).toEqual([{ podcast_listened: 1 }, {}]);
    expect(result.leads[0]!.versions.map((v) => v.highs.map((h) => h.at))).toEqual([[day(1)], [day(0), day(1)]]);
  });

  it('lists unknown types in name order, whatever order they came in', () => {
    const events = history().add('a', 0, 'webcast').add('b', 0, 'podcast_listened').events;
    expect(Object.keys(replay([v1()], events).events.unknownTypes[0]!)).toEqual(['podcast_listened', 'webcast']);
  });

  it('reads the stream once, so a generator works', () => {
    function* stream() {
      yield* fourLeads().events;
    }
    expect(replay(versions(), stream()).leads).toHaveLength(4);
  });
});
