import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  caseFromLead,
  evaluate,
  loadCaseFile,
  loadRuleSet,
  runCase,
  runCases,
  type Case,
  type CaseExpectation,
  type LeadEvent,
  type LeadState,
} from '../../engine/index';
import { day, ruleSet, v1Json } from './fixtures';

const v1 = ruleSet();

/** The cases kept beside rules/v1.json. */
function v1Cases(): Case[] {
  const loaded = loadCaseFile(readFileSync(new URL('../../rules/v1.cases.json', import.meta.url), 'utf8'));
  if (!loaded.ok) throw new Error(`v1 cases should load: ${JSON.stringify(loaded.problems)}`);
  return loaded.file.cases;
}

/** A case of events `[type, day]`, with what it must lead to. */
function testCase(expect: CaseExpectation, ...events: Array<[string, number]>): Case {
  return { name: 'a case', events: events.map(([type, at]) => ({ type, occurredAt: day(at) })), expect };
}

/** The first difference of a case that must fail. */
function firstDifference(result: ReturnType<typeof runCase>): string {
  expect(result.passed).toBe(false);
  return result.differences[0]!.message;
}

describe('the reference cases of v1', () => {
  it('all pass on v1', () => {
    const results = runCases(v1, v1Cases());
    expect(results.length).toBeGreaterThanOrEqual(10);
    expect(results.filter((result) => !result.passed)).toEqual([]);
  });

  it('fail where a rule set gives webinars other points, naming the score', () => {
    const webinar = v1Cases().find((c) => c.name === 'webinar attended gives 20')!;
    const fewer = ruleSet((json) => {
      json.scoring.find((rule: { id: string }) => rule.id === 'webinar-attended').points = 15;
    });
    expect(firstDifference(runCase(fewer, webinar))).toBe('score: expected at least 20, got 15 (fit 0, engagement 15)');
  });

  it('fail where a wrong expectation was written, with the expected and actual band', () => {
    const webinar = v1Cases().find((c) => c.name === 'webinar attended gives 20')!;
    const wrong = { ...webinar, expect: { ...webinar.expect, band: 'warm' as const } };
    const result = runCase(v1, wrong);
    expect(firstDifference(result)).toBe('band: expected warm, got cold (score 20, warm from 30)');
    expect(result.differences[0]).toMatchObject({ path: 'expect.band', expected: 'warm', actual: 'cold' });
  });
});

describe('expectations', () => {
  it('passes when every expectation holds', () => {
    const result = runCase(v1, testCase({ band: 'warm', stage: 'inquiry', score: { atLeast: 30, atMost: 30 } }, ['contact_request', 0]));
    expect(result).toMatchObject({ passed: true, differences: [], actual: { band: 'warm', stage: 'inquiry', route: 'email-for-warm' } });
  });

  it('explains a band below the expected one by the higher band threshold', () => {
    const result = runCase(v1, testCase({ band: 'hot' }, ['contact_request', 0], ['document_download', 0.1]));
    expect(firstDifference(result)).toBe('band: expected hot, got warm (score 45, hot from 60)');
  });

  it('explains a stage by the transition that entered it', () => {
    const result = runCase(v1, testCase({ stage: 'sql' }, ['demo_request', 0], ['webinar_attended', 0.1], ['email_click', 0.2]));
    expect(firstDifference(result)).toBe(`stage: expected sql, got mql (entered by "reached-mql-threshold" at ${day(0.2)})`);
  });

  it('says a lead never left its first stage', () => {
    expect(firstDifference(runCase(v1, testCase({ stage: 'mql' }, ['email_open', 0])))).toBe(
      'stage: expected mql, got inquiry (never left it)',
    );
  });

  it('explains a route with its queue and approach', () => {
    expect(firstDifference(runCase(v1, testCase({ route: 'phone-for-hot' }, ['email_open', 0])))).toBe(
      'route: expected phone-for-hot, got email-for-cold (queue marketing-nurture, by email)',
    );
  });

  it('checks score bounds on both sides', () => {
    expect(firstDifference(runCase(v1, testCase({ score: { atMost: 4 } }, ['email_open', 0])))).toBe(
      'score: expected at most 4, got 5 (fit 0, engagement 5)',
    );
    expect(firstDifference(runCase(v1, testCase({ score: { atLeast: 6 } }, ['email_open', 0])))).toBe(
      'score: expected at least 6, got 5 (fit 0, engagement 5)',
    );
  });

  it('names a rule that was expected to fire and did not', () => {
    expect(firstDifference(runCase(v1, testCase({ fired: ['webinar-attended'] }, ['email_open', 0])))).toBe(
      'rule "webinar-attended" was expected to fire and did not',
    );
  });

  it('names a rule that fired though it should not, with the event that fired it', () => {
    const result = runCase(v1, testCase({ notFired: ['email-open'] }, ['email_click', 0], ['email_open', 1]));
    expect(firstDifference(result)).toBe(`rule "email-open" was expected not to fire and fired (event "2" at ${day(1)})`);
  });

  it('counts a transition taken as fired', () => {
    expect(
      runCase(v1, testCase({ fired: ['reached-mql-threshold'] }, ['demo_request', 0], ['webinar_attended', 0], ['email_click', 0])).passed,
    ).toBe(true);
  });

  it('does not count a rule whose cap withheld its points as fired', () => {
    const visits = testCase({ fired: ['repeated-site-visit'] }, ['site_visit', 0]);
    expect(runCase(v1, visits).passed).toBe(false);
  });

  it('fails on a rule the rule set does not have, even where it must not fire', () => {
    expect(firstDifference(runCase(v1, testCase({ notFired: ['webinar-atended'] }, ['email_open', 0])))).toBe(
      'rule "webinar-atended" is not a scoring rule or transition of v1',
    );
  });

  it('lists every difference, the first one first', () => {
    const result = runCase(v1, testCase({ band: 'hot', stage: 'mql', fired: ['webinar-attended'] }, ['email_open', 0]));
    expect(result.differences.map((d) => d.path)).toEqual(['expect.band', 'expect.stage', 'expect.fired[0]']);
  });
});

describe('the lead of a case', () => {
  it('has its attributes before the first event', () => {
    const result = runCase(v1, {
      ...testCase({ score: { atLeast: 15, atMost: 15 }, fired: ['decision-maker'] }, ['email_open', 0]),
      attributes: { role: 'director' },
    });
    expect(result.passed).toBe(true);
  });

  it('applies events in time order, those at the same time in the order written', () => {
    const customer = { type: 'lead_updated', occurredAt: day(1), properties: { customer: true } };
    const request = { type: 'contact_request', occurredAt: day(1) };
    const open = { type: 'email_open', occurredAt: day(0) };
    const written = (...events: Case['events']): Case => ({ name: 'order', events, expect: { stage: 'sql' } });
    expect(runCase(v1, written(customer, request, open)).passed).toBe(true);
    expect(runCase(v1, written(request, customer, open)).actual?.stage).toBe('inquiry');
  });

  it('is checked at the last event unless asOf says otherwise', () => {
    expect(runCase(v1, testCase({ score: { atLeast: 30 } }, ['contact_request', 0])).asOf).toBe(day(0));
    const later = { ...testCase({ score: { atMost: 15 }, band: 'cold' }, ['contact_request', 0]), asOf: day(30) };
    expect(runCase(v1, later)).toMatchObject({ passed: true, asOf: day(30), actual: { score: { total: 15 }, route: 'email-for-cold' } });
  });

  it('takes time-based changes up to asOf, as the server clock would', () => {
    const idle = { ...testCase({ stage: 'dormant', fired: ['went-dormant'] }, ['email_open', 0]), asOf: day(95) };
    expect(runCase(v1, idle).passed).toBe(true);
    expect(runCase(v1, { ...idle, asOf: day(89) }).actual?.stage).toBe('inquiry');
  });

  it('refuses an asOf before the last event', () => {
    const early = { ...testCase({ band: 'cold' }, ['email_open', 2]), asOf: day(1) };
    expect(firstDifference(runCase(v1, early))).toBe(`asOf ${day(1)} is before the last event (${day(2)})`);
  });

  it('fails with the event the rule set cannot apply', () => {
    const result = runCase(v1, testCase({ band: 'cold' }, ['email_open', 0], ['podcast_listened', 1]));
    expect(firstDifference(result)).toBe('events[1]: type: unknown event type "podcast_listened" in rule set v1');
    expect(result.actual).toBeNull();
  });
});

describe('cases in a rule set', () => {
  it('load with the rule set', () => {
    const json = v1Json();
    json.cases = v1Cases();
    const result = loadRuleSet(json);
    expect(result.ok && result.ruleSet.definition.cases?.length).toBe(v1Cases().length);
  });

  it('are rejected with every problem and its path', () => {
    const json = v1Json();
    json.cases = [
      { name: 'same', events: [{ type: 'email_open', occurredAt: day(0) }], expect: { band: 'cold' } },
      { name: 'same', events: [{ type: 'email_open', occurredAt: day(0) }], expect: {} },
      { name: 'crossed', events: [{ type: 'email_open', occurredAt: day(0) }], expect: { score: { atLeast: 10, atMost: 5 } } },
      { name: 'no events', events: [], expect: { band: 'cold' } },
    ];
    const result = loadRuleSet(json);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(['cases[3].events']);
    json.cases.pop();
    const second = loadRuleSet(json);
    expect(!second.ok && second.problems).toEqual([
      { path: 'cases[1].name', message: 'duplicate name "same" (first at cases[0])' },
      { path: 'cases[1].expect', message: 'a case must expect at least one thing' },
      { path: 'cases[2].expect.score', message: 'bounds out of order: atLeast (10) must not exceed atMost (5)' },
    ]);
  });
});

const TYPES = [...v1.activityTypes, 'lead_updated', 'sales_accepted', 'sales_rejected', 'deal_won', 'deal_lost', 'disqualified'];

/** One lead's time-ordered events over about a year. */
const historyArb = fc
  .array(
    fc.tuple(
      fc.constantFrom(...TYPES),
      fc.integer({ min: 0, max: 400 * 24 }),
      fc.record({ role: fc.constantFrom('director', 'student'), customer: fc.boolean() }, { requiredKeys: [] }),
    ),
    { minLength: 1, maxLength: 40 },
  )
  .map((rows) =>
    rows
      .sort((a, b) => a[1] - b[1])
      .map(([type, hour, properties], i): LeadEvent => ({ id: `e${i}`, leadId: 'lead-1', type, occurredAt: day(hour / 24), properties })),
  );

describe('case properties', () => {
  it('a case kept from any lead outcome passes on the rule set that gave it', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        let state: LeadState | null = null;
        for (const event of events) state = evaluate(v1, state, event).state;
        const kept = caseFromLead('kept', events, state!, state!.asOf);
        const result = runCase(v1, kept);
        expect(result.differences).toEqual([]);
        expect(result.actual?.score).toEqual(state!.score);
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: the same case gives the same result', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 0, max: 200 }), (events, extraDays) => {
        const last = Date.parse(events[events.length - 1]!.occurredAt);
        const written: Case = {
          name: 'replayed',
          events: events.map(({ type, occurredAt, properties }) => ({ type, occurredAt, properties })),
          asOf: new Date(last + extraDays * 86_400_000).toISOString(),
          expect: { band: 'hot' },
        };
        expect(JSON.stringify(runCase(v1, written))).toBe(JSON.stringify(runCase(v1, written)));
      }),
      { numRuns: 100 },
    );
  });
});
