import fc from 'fast-check';
import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { LogicError, compileLogic, evaluate, evaluateLogic } from '../../engine/index';
import {
  STANDARD_OPERATORS,
  describeOutcome,
  jsonData,
  logicRule,
  officialCases,
  outcomeOf,
  sameOutcome,
  sameValue,
  type Outcome,
} from '../helpers/jsonlogic';
import { compiled, leadEvent, ruleSetWith } from '../helpers/ruleset';

const reference = (rule: unknown, data: unknown): unknown => jsonLogic.apply(rule as jsonLogic.RulesLogic, data);

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

describe('the official JSON Logic test suite', () => {
  const cases = officialCases();

  it('has all 280 cases', () => {
    expect(cases).toHaveLength(280);
  });

  it.each(cases.map((c, i) => [`#${i + 1} ${c.group}: ${short(c.rule)} on ${short(c.data)}`, c] as const))('%s', (_, c) => {
    expect(evaluateLogic(c.rule, c.data)).toEqual(c.expected);
  });
});

describe('sameValue, the comparison used against json-logic-js', () => {
  it('treats NaN as equal to NaN, also inside arrays and objects', () => {
    expect(sameValue(NaN, NaN)).toBe(true);
    expect(sameValue([1, { a: NaN }], [1, { a: NaN }])).toBe(true);
  });

  it('tells apart values that differ in type, sign of zero, keys or order', () => {
    expect(sameValue(1, '1')).toBe(false);
    expect(sameValue(0, -0)).toBe(false);
    expect(sameValue(null, undefined)).toBe(false);
    expect(sameValue([], {})).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue({ a: undefined }, { b: undefined })).toBe(false);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
  });
});

describe('agreement with json-logic-js on random rules and data', () => {
  function check(rule: unknown, data: unknown, ours: Outcome): void {
    const theirs = outcomeOf(() => reference(rule, data));
    if (!sameOutcome(ours, theirs)) {
      throw new Error(
        `rule ${JSON.stringify(rule)} on ${JSON.stringify(data)}: engine ${describeOutcome(ours)}, json-logic-js ${describeOutcome(theirs)}`,
      );
    }
  }

  it('generates rules using every standard operator but log', () => {
    const used = new Set<string>();
    const collect = (rule: unknown): void => {
      if (Array.isArray(rule)) return rule.forEach(collect);
      if (rule === null || typeof rule !== 'object') return;
      const keys = Object.keys(rule);
      if (keys.length === 1) used.add(keys[0]!);
      Object.values(rule).forEach(collect);
    };
    fc.sample(logicRule, { numRuns: 2_000, seed: 1 }).forEach(collect);
    expect([...STANDARD_OPERATORS].filter((op) => !used.has(op))).toEqual([]);
  });

  it('returns what json-logic-js returns, or throws when it throws', () => {
    fc.assert(
      fc.property(logicRule, jsonData, (rule, data) => {
        check(
          rule,
          data,
          outcomeOf(() => evaluateLogic(rule, data)),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives the same answers when one compiled rule runs against many data', () => {
    fc.assert(
      fc.property(logicRule, fc.array(jsonData, { minLength: 2, maxLength: 5 }), (rule, dataSets) => {
        const { run } = compileLogic(rule);
        for (const data of dataSets)
          check(
            rule,
            data,
            outcomeOf(() => run(data)),
          );
      }),
      { numRuns: 500 },
    );
  });
});

describe('missing, missing_some and var, where json-logic-js evaluates its keys', () => {
  it.each([
    [{ missing: ['a', ['b', 'c']] }, {}],
    [{ missing: ['x', []] }, { y: 1 }],
    [{ missing_some: [1, { var: 'o' }] }, { o: [{ var: 'z' }], z: 1 }],
    [{ missing: [{ var: 'x' }] }, { x: { a: 1 } }],
    [{ var: ['a', null, { bogus: 1 }] }, {}],
  ])('agrees on %j with %j', (rule, data) => {
    expect(
      sameOutcome(
        outcomeOf(() => evaluateLogic(rule, data)),
        outcomeOf(() => jsonLogic.apply(rule as never, data)),
      ),
    ).toBe(true);
  });
});

describe('days_between', () => {
  it('counts whole days between two ISO dates', () => {
    expect(evaluateLogic({ days_between: ['2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z'] }, {})).toBe(30);
  });

  it('counts fractions of a day and goes negative when the dates are reversed', () => {
    expect(evaluateLogic({ days_between: ['2026-03-01T00:00:00Z', '2026-03-01T18:00:00Z'] }, {})).toBe(0.75);
    expect(evaluateLogic({ days_between: ['2026-01-11T00:00:00Z', '2026-01-01T00:00:00Z'] }, {})).toBe(-10);
  });

  it('honours time-zone offsets', () => {
    expect(evaluateLogic({ days_between: ['2026-05-01T00:00:00+02:00', '2026-05-01T12:00:00Z'] }, {})).toBe(0.5833333333333334);
  });

  it('accepts epoch milliseconds', () => {
    expect(evaluateLogic({ days_between: [0, 86_400_000 * 3] }, {})).toBe(3);
  });

  it('reads its dates from data', () => {
    const data = { lead: { attributes: { trialStartedAt: '2026-02-01T00:00:00Z' } }, event: { occurredAt: '2026-02-15T00:00:00Z' } };
    expect(evaluateLogic({ days_between: [{ var: 'lead.attributes.trialStartedAt' }, { var: 'event.occurredAt' }] }, data)).toBe(14);
  });

  it.each([['yesterday'], [''], [null], [true], [{}], [[]]])('is null when a date is %j', (notADate) => {
    expect(evaluateLogic({ days_between: [notADate, '2026-01-01T00:00:00Z'] }, {})).toBeNull();
    expect(evaluateLogic({ days_between: ['2026-01-01T00:00:00Z', notADate] }, {})).toBeNull();
  });

  it('is null when a date is missing from data', () => {
    expect(evaluateLogic({ days_between: [{ var: 'signedUpAt' }, '2026-01-01T00:00:00Z'] }, {})).toBeNull();
  });
});

describe('days_since', () => {
  const now = '2026-06-11T12:00:00Z';

  it('counts days from a date to now, the evaluation time in data', () => {
    expect(evaluateLogic({ days_since: ['2026-06-01T12:00:00Z'] }, { now })).toBe(10);
    expect(evaluateLogic({ days_since: ['2026-06-11T00:00:00Z'] }, { now })).toBe(0.5);
  });

  it('takes a bare argument as well as an array', () => {
    expect(evaluateLogic({ days_since: { var: 'lead.lastContactAt' } }, { now, lead: { lastContactAt: '2026-06-04T12:00:00Z' } })).toBe(7);
  });

  it('is null when the date is not a date', () => {
    expect(evaluateLogic({ days_since: ['soon'] }, { now })).toBeNull();
    expect(evaluateLogic({ days_since: [{ var: 'absent' }] }, { now })).toBeNull();
  });

  it('is null when data has no now', () => {
    expect(evaluateLogic({ days_since: ['2026-06-01T12:00:00Z'] }, {})).toBeNull();
    expect(evaluateLogic({ days_since: ['2026-06-01T12:00:00Z'] }, { now: 'later' })).toBeNull();
  });

  it('compares like any number inside a condition', () => {
    const recent = { '<': [{ days_since: [{ var: 'lastVisitAt' }] }, 7] };
    expect(evaluateLogic(recent, { now, lastVisitAt: '2026-06-08T00:00:00Z' })).toBe(true);
    expect(evaluateLogic(recent, { now, lastVisitAt: '2026-05-08T00:00:00Z' })).toBe(false);
  });
});

describe('days_since in a rule set', () => {
  const trialAge = { days_since: [{ var: 'lead.attributes.trialStartedAt' }] };
  const ruleSet = compiled(
    ruleSetWith((r) => {
      r.scoring.push({
        id: 'first-week-open',
        label: 'Email opened in the first week of a trial',
        kind: 'engagement',
        on: ['email_open'],
        // A non-date gives null, which "<" would read as 0: hence the explicit null check.
        when: { and: [{ '!==': [trialAge, null] }, { '<': [trialAge, 7] }] },
        points: 3,
      });
    }),
  );
  const trialStarted = evaluate(
    ruleSet,
    null,
    leadEvent('lead_updated', '2026-04-01T00:00:00Z', { trialStartedAt: '2026-04-01T00:00:00Z' }),
  ).state;
  const rulesApplied = (occurredAt: string) =>
    evaluate(ruleSet, trialStarted, leadEvent('email_open', occurredAt)).explanation.rules.map((r) => r.ruleId);

  it('counts days up to the time of the event being evaluated', () => {
    expect(rulesApplied('2026-04-07T23:00:00Z')).toEqual(['email-open', 'first-week-open']);
    expect(rulesApplied('2026-04-08T01:00:00Z')).toEqual(['email-open']);
  });

  it('gives no points when the attribute is not a date', () => {
    const noTrial = evaluate(ruleSet, trialStarted, leadEvent('lead_updated', '2026-04-02T00:00:00Z', { trialStartedAt: 'unknown' })).state;
    const { explanation } = evaluate(ruleSet, noTrial, leadEvent('email_open', '2026-04-03T00:00:00Z'));
    expect(explanation.rules.map((r) => r.ruleId)).toEqual(['email-open']);
  });
});

describe('compileLogic and unknown operators', () => {
  const misspelt = { and: [true, { contians: [1, 2] }] };

  it('reports an unknown operator with its path and name', () => {
    const { problems } = compileLogic(misspelt);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toContain('and[1]');
    expect(problems[0]!.message).toContain('"contians"');
  });

  it('prefixes problem paths with the path it is given', () => {
    const { problems } = compileLogic(misspelt, 'scoring[3].when');
    expect(problems.map((p) => p.path)).toEqual(['scoring[3].when.and[1]']);
  });

  it('reports every unknown operator, however deep', () => {
    const rule = { or: [{ foo: 1 }, { if: [{ var: 'x' }, { '>': [{ bar: 2 }, 1] }, 0] }] };
    const { problems } = compileLogic(rule, 'when');
    expect(problems.map((p) => p.path)).toEqual(['when.or[0]', 'when.or[1].if[1].>[0]']);
    expect(problems.map((p) => p.message).join(' ')).toMatch(/"foo".*"bar"/);
  });

  it('reports nothing for a rule that uses only known operators', () => {
    const rule = {
      and: [{ '>=': [{ var: 'score.total' }, 60] }, { in: [{ var: 'band' }, ['hot', 'warm']] }, { days_since: ['2026-01-01'] }],
    };
    expect(compileLogic(rule).problems).toEqual([]);
  });

  it('does not treat names inherited by plain objects as operators', () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
      const { problems } = compileLogic(JSON.parse(`{"${name}": [1]}`));
      expect(problems, name).toHaveLength(1);
      expect(problems[0]!.message).toContain(`"${name}"`);
    }
  });

  it('compiles without throwing and throws only when the unknown operator is reached', () => {
    const { run } = compileLogic(misspelt);
    expect(() => run({})).toThrow(LogicError);
    expect(() => run({})).toThrow(/contians/);
    const shortCircuited = compileLogic({ and: [false, { contians: [1, 2] }] });
    expect(shortCircuited.problems).toHaveLength(1);
    expect(shortCircuited.run({})).toBe(false);
  });

  it('throws on the same data as json-logic-js when the unknown operator sits in a branch', () => {
    const rule = { if: [{ var: 'vip' }, { bogus: [1] }, 'regular'] };
    const { run } = compileLogic(rule);
    for (const data of [{ vip: false }, { vip: true }, {}]) {
      expect(outcomeOf(() => run(data)).threw, JSON.stringify(data)).toBe(outcomeOf(() => reference(rule, data)).threw);
    }
    expect(run({ vip: false })).toBe('regular');
  });

  it('does not reach the per-item rule of map over an empty list', () => {
    const { problems, run } = compileLogic({ map: [{ var: 'items' }, { bogus: [] }] });
    expect(problems).toHaveLength(1);
    expect(run({ items: [] })).toEqual([]);
    expect(() => run({ items: [1] })).toThrow(/bogus/);
  });
});
