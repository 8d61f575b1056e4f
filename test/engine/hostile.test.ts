/**
 * Hostile rules and data: each must give an error or a plain value, never hang,
 * crash the process, run injected code or change built-in prototypes.
 */
import jsonLogic from 'json-logic-js';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import {
  EvaluationError,
  LogicError,
  MAX_LOGIC_DEPTH,
  MAX_LOGIC_NODES,
  MAX_LOGIC_STEPS,
  compileLogic,
  evaluate,
  evaluateLogic,
  foldEvent,
  loadRuleSet,
  type LeadState,
} from '../../engine/index';
import { outcomeOf, sameOutcome } from '../helpers/jsonlogic';
import { compiled, leadEvent, leadEventFromJson, ruleSetWith } from '../helpers/ruleset';

/** `levels` layers of `wrap` around `inner`, built without recursion. */
function nested(levels: number, wrap: (inner: unknown) => unknown, inner: unknown = true): unknown {
  let rule = inner;
  for (let i = 0; i < levels; i++) rule = wrap(rule);
  return rule;
}

const range = (length: number) => Array.from({ length }, (_, i) => i);

/** Strings that would run code if a rule were ever compiled to source text. */
const INJECTIONS = [
  "'); process.exit(1); ('",
  '"); process.exit(1); ("',
  '`${process.exit(1)}`',
  '${globalThis.pwned = 1}',
  '\u2028',
  '\u2029',
  '*/ throw 1 /*',
  "'; globalThis.pwned = 1; '",
  '"; globalThis.pwned = 1; "',
  '}); globalThis.pwned = 1; ({',
  '\n globalThis.pwned = 1 //',
  '\\',
  '\u0000',
  '</script><script>globalThis.pwned = 1</script>',
];

/** Injections with a readable test name (line separators do not show in names). */
const INJECTION_CASES = INJECTIONS.map(
  (text) => [JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`), text] as const,
);

/** Paths that reach for inherited properties, prototypes and functions. */
const PROTOTYPE_PATHS = [
  '__proto__',
  'constructor',
  'prototype',
  'constructor.prototype',
  '__proto__.polluted',
  'constructor.prototype.polluted',
  '__proto__.constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'a.__proto__',
  'a.constructor.name',
  'list.constructor',
  'list.map',
  'list.__proto__',
  'name.constructor',
  'name.toUpperCase',
  'count.toFixed',
];
const PROTOTYPE_DATA = { a: { b: 1 }, list: [1, 2], name: 'ada', count: 3 };

const builtIns = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
  Number: Number.prototype,
};
const builtInNames = Object.fromEntries(Object.entries(builtIns).map(([name, proto]) => [name, Reflect.ownKeys(proto)]));

let exitSpy: MockInstance<typeof process.exit>;

beforeEach(() => {
  exitSpy = vi.spyOn(process, 'exit').mockImplementation(() => {
    throw new Error('process.exit was called');
  });
});

afterEach(() => {
  expect(exitSpy).not.toHaveBeenCalled();
  exitSpy.mockRestore();
  for (const [name, proto] of Object.entries(builtIns)) expect(Reflect.ownKeys(proto), `${name}.prototype`).toEqual(builtInNames[name]);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>)['polluted']).toBeUndefined();
  expect((globalThis as Record<string, unknown>)['pwned']).toBeUndefined();
});

describe('very deep nesting', () => {
  const tooDeep = new RegExp(`deeper than ${MAX_LOGIC_DEPTH} levels`);

  it('refuses 100,000 nested operations with an error naming the depth limit', () => {
    const rule = nested(100_000, (inner) => ({ '!': inner }));
    const { problems } = compileLogic(rule);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(tooDeep);
    expect(() => evaluateLogic(rule, {})).toThrow(LogicError);
    expect(() => evaluateLogic(rule, {})).toThrow(tooDeep);
  });

  it('refuses 100,000 nested arrays the same way', () => {
    const rule = nested(100_000, (inner) => [inner], 1);
    expect(compileLogic(rule).problems.map((p) => p.message)).toEqual([expect.stringMatching(tooDeep)]);
    expect(() => evaluateLogic(rule, {})).toThrow(tooDeep);
  });

  it('refuses deep nesting hidden in the arguments of if, and, map and reduce', () => {
    const wrappers: Array<(inner: unknown) => unknown> = [
      (inner) => ({ if: [true, inner, false] }),
      (inner) => ({ and: [true, inner] }),
      (inner) => ({ map: [[1], inner] }),
      (inner) => ({ reduce: [[1], inner, 0] }),
      (inner) => ({ var: [inner] }),
    ];
    for (const wrap of wrappers) {
      const { problems } = compileLogic(nested(10_000, wrap));
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => tooDeep.test(p.message))).toBe(true);
    }
  });

  it('accepts nesting up to the limit and evaluates it', () => {
    expect(compileLogic(nested(MAX_LOGIC_DEPTH, (inner) => ({ '!': inner }))).problems).toEqual([]);
    expect(
      evaluateLogic(
        nested(MAX_LOGIC_DEPTH, (inner) => ({ '!': inner })),
        {},
      ),
    ).toBe(true);
  });

  it('reads a var path of 100,000 segments through data nested as deep', () => {
    const data = nested(100_000, (inner) => ({ a: inner }), 'bottom');
    const path = Array.from({ length: 100_000 }, () => 'a').join('.');
    expect(evaluateLogic({ var: path }, data)).toBe('bottom');
    expect(evaluateLogic({ var: `${path}.a` }, data)).toBeNull();
  });

  it('meets data nested 100,000 deep in comparisons as json-logic-js does, without crashing', () => {
    const data = { deep: nested(100_000, (inner) => [inner], 1) };
    for (const rule of [{ cat: [{ var: 'deep' }] }, { '==': [{ var: 'deep' }, 'x'] }, { in: ['x', { var: 'deep' }] }, { var: 'deep' }]) {
      const ours = outcomeOf(() => evaluateLogic(rule, data));
      const theirs = outcomeOf(() => jsonLogic.apply(rule as jsonLogic.RulesLogic, data));
      expect(sameOutcome(ours, theirs), JSON.stringify(rule)).toBe(true);
    }
  });
});

describe('huge arrays', () => {
  const million = range(1_000_000);
  const tooLarge = new RegExp(`more than ${MAX_LOGIC_NODES} nodes`);

  it('looks for an item among a million items in data', () => {
    expect(evaluateLogic({ in: [999_999, { var: 'ids' }] }, { ids: million })).toBe(true);
    expect(evaluateLogic({ in: [-1, { var: 'ids' }] }, { ids: million })).toBe(false);
  });

  it('merges, filters and reduces a million items from data', () => {
    const data = { ids: million };
    expect((evaluateLogic({ merge: [{ var: 'ids' }, { var: 'ids' }] }, data) as unknown[]).length).toBe(2_000_000);
    expect((evaluateLogic({ filter: [{ var: 'ids' }, { '<': [{ var: '' }, 10] }] }, data) as unknown[]).length).toBe(10);
    expect(evaluateLogic({ reduce: [{ var: 'ids' }, { '+': [{ var: 'accumulator' }, { var: 'current' }] }, 0] }, data)).toBe(
      499_999_500_000,
    );
  });

  it('does not spread a data array into the arguments of max', () => {
    expect(evaluateLogic({ max: { var: 'ids' } }, { ids: million })).toBeNaN();
  });

  it('refuses a rule with more nodes than the limit', () => {
    const rule = { '+': range(MAX_LOGIC_NODES + 1) };
    const { problems } = compileLogic(rule);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.message).toMatch(tooLarge);
    expect(() => evaluateLogic(rule, {})).toThrow(tooLarge);
  });

  it('accepts a rule just under the node limit', () => {
    const rule = { '+': range(MAX_LOGIC_NODES - 2) };
    expect(compileLogic(rule).problems).toEqual([]);
    expect(evaluateLogic(rule, {})).toBe(((MAX_LOGIC_NODES - 2) * (MAX_LOGIC_NODES - 3)) / 2);
  });

  it('refuses a literal list of a million items in a rule', () => {
    const { problems, run } = compileLogic({ in: [5, million] });
    expect(problems[0]!.message).toMatch(tooLarge);
    expect(() => run({})).toThrow(LogicError);
  });

  it('concatenates a string of eight million characters', () => {
    const text = 'x'.repeat(4_000_000);
    expect((evaluateLogic({ cat: [{ var: 'text' }, { var: 'text' }] }, { text }) as string).length).toBe(8_000_000);
  });

  it('refuses to build a string beyond the step budget', () => {
    const text = 'x'.repeat(MAX_LOGIC_STEPS / 2 + 1);
    expect(() => evaluateLogic({ cat: [{ var: 'text' }, { var: 'text' }] }, { text })).toThrow(/exceeded 10000000 steps/);
  });
});

describe('conditions that read a whole object of the lead', () => {
  // history.counts is an object: comparing it or joining it into text must give what json-logic-js gives, on a new lead too.
  const conditions = [{ '>': [{ var: 'history.counts' }, 0] }, { '==': [{ cat: ['n', { var: 'history.counts' }] }, 'n'] }];

  it.each(conditions)('evaluates %j on a new lead and on a folded one, as json-logic-js does', (when) => {
    const ruleSet = compiled(
      ruleSetWith((rules) => {
        rules.scoring.push({ id: 'whole-counts', label: 'Whole counts', kind: 'engagement', on: ['email_open'], when, points: 5 });
      }),
    );
    expect(jsonLogic.apply(when as never, { history: { counts: {} } })).toBe(false);
    const first = evaluate(ruleSet, null, leadEvent('email_open', '2024-01-01T00:00:00Z'));
    expect(first.explanation.rules.map((rule) => rule.ruleId)).not.toContain('whole-counts');
    const folded = foldEvent(ruleSet, null, leadEvent('email_open', '2024-01-01T00:00:00Z')).state;
    expect(foldEvent(ruleSet, folded, leadEvent('email_open', '2024-01-02T00:00:00Z')).state.rules['whole-counts']).toBeUndefined();
  });
});

describe('var paths through prototypes', () => {
  it.each(PROTOTYPE_PATHS)('reads %s as missing: null, or the default', (path) => {
    expect(evaluateLogic({ var: path }, PROTOTYPE_DATA)).toBeNull();
    expect(evaluateLogic({ var: [path, 'fallback'] }, PROTOTYPE_DATA)).toBe('fallback');
    expect(evaluateLogic({ missing: [path] }, PROTOTYPE_DATA)).toEqual([path]);
  });

  it.each(PROTOTYPE_PATHS)('reads %s as missing when the path is computed', (path) => {
    const rule = { var: { cat: [path.slice(0, 1), path.slice(1)] } };
    expect(evaluateLogic(rule, PROTOTYPE_DATA)).toBeNull();
  });

  it.each(PROTOTYPE_PATHS)('reads %s as missing inside map, filter and reduce', (path) => {
    const items = { list: [{ n: 1 }, [2], 'three', 4] };
    expect(evaluateLogic({ map: [{ var: 'list' }, { var: path }] }, items)).toEqual([null, null, null, null]);
    expect(evaluateLogic({ filter: [{ var: 'list' }, { var: path }] }, items)).toEqual([]);
    expect(evaluateLogic({ reduce: [{ var: 'list' }, { var: `accumulator.${path}` }, {}] }, items)).toBeNull();
  });

  it('never returns a function or a built-in prototype, whatever the data', () => {
    for (const data of [{}, [], 'text', 42, true, null, PROTOTYPE_DATA]) {
      for (const path of PROTOTYPE_PATHS) {
        const value = evaluateLogic({ var: path }, data);
        expect(typeof value, `${path} on ${JSON.stringify(data)}`).not.toBe('function');
        expect([Object.prototype, Array.prototype, Function.prototype, String.prototype]).not.toContain(value);
      }
    }
  });

  it('reads an own __proto__ key of parsed JSON as plain data', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "role": "cto"}') as unknown;
    expect(evaluateLogic({ var: '__proto__.polluted' }, data)).toBe(true);
    expect(evaluateLogic({ var: 'polluted' }, data)).toBeNull();
  });

  it('treats __proto__ and constructor as unknown operators', () => {
    for (const text of ['{"__proto__": {"polluted": 1}}', '{"constructor": ["alert(1)"]}', '{"constructor.prototype.polluted": [1]}']) {
      const rule = JSON.parse(text) as unknown;
      expect(compileLogic(rule).problems).toHaveLength(1);
      expect(() => evaluateLogic(rule, {})).toThrow(LogicError);
    }
  });

  it('leaves the data it reads untouched', () => {
    const data = JSON.parse('{"list": [3, 1, 2], "__proto__": {"x": 1}}') as unknown;
    const before = JSON.stringify(data);
    evaluateLogic({ merge: [{ var: 'list' }, [4]] }, data);
    evaluateLogic({ reduce: [{ var: 'list' }, { merge: [{ var: 'accumulator' }, [{ var: 'current' }]] }, []] }, data);
    evaluateLogic({ map: [{ var: 'list' }, { var: '__proto__' }] }, data);
    expect(JSON.stringify(data)).toBe(before);
  });
});

describe('strings crafted to break out of compiled code', () => {
  it.each(INJECTION_CASES)('treats %s as a plain literal', (_, text) => {
    expect(evaluateLogic(text, {})).toBe(text);
    expect(evaluateLogic({ cat: [text, text] }, {})).toBe(text + text);
    expect(evaluateLogic({ '==': [text, { var: 'value' }] }, { value: text })).toBe(true);
    expect(evaluateLogic({ in: [text, [text, 'other']] }, {})).toBe(true);
    expect(evaluateLogic({ if: [false, 1, text] }, {})).toBe(text);
  });

  it.each(INJECTION_CASES)('treats %s as a plain var path and data key', (_, text) => {
    const data = { [text]: 'found' };
    const expected = text.includes('.') ? null : 'found';
    expect(evaluateLogic({ var: text }, data)).toBe(expected);
    expect(evaluateLogic({ var: [text, 'fallback'] }, {})).toBe('fallback');
    expect(evaluateLogic({ missing: [text] }, data)).toEqual(text.includes('.') ? [text] : []);
    expect(evaluateLogic({ missing: [text] }, {})).toEqual([text]);
  });

  it.each(INJECTION_CASES)('reports %s as an unknown operator and throws only when reached', (_, text) => {
    const rule = { or: [true, { [text]: [text] }] };
    const { problems, run } = compileLogic(rule);
    expect(problems).toEqual([{ path: '.or[1]', message: `unknown operator "${text}"` }]);
    expect(run({})).toBe(true);
    expect(() => evaluateLogic({ [text]: [1] }, {})).toThrow(LogicError);
  });

  it('keeps injected strings in data as data when the rule reads them', () => {
    const data = { values: INJECTIONS };
    expect(evaluateLogic({ map: [{ var: 'values' }, { cat: ['<', { var: '' }, '>'] }] }, data)).toEqual(INJECTIONS.map((t) => `<${t}>`));
    expect(evaluateLogic({ var: { var: 'values.0' } }, data)).toBeNull();
  });
});

describe('hostile conditions in a rule set', () => {
  const firstProblem = (rules: unknown) => {
    const result = loadRuleSet(rules);
    expect(result.ok).toBe(false);
    return result.ok ? undefined : result.problems;
  };

  it('points at an unknown operator inside a scoring condition', () => {
    const rules = ruleSetWith((r) => {
      r.scoring[4]!.when = { and: [true, { contians: [1, 2] }] };
    });
    expect(firstProblem(rules)).toEqual([{ path: 'scoring[4].when.and[1]', message: 'unknown operator "contians"' }]);
  });

  it('points at a condition nested 100,000 levels deep', () => {
    const rules = ruleSetWith((r) => {
      r.scoring[0]!.when = nested(100_000, (inner) => ({ '!': inner }));
    });
    const problems = firstProblem(rules)!;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path.startsWith('scoring[0].when.![0]')).toBe(true);
    expect(problems[0]!.message).toMatch(`deeper than ${MAX_LOGIC_DEPTH} levels`);
  });

  it('points at a condition nested 100,000 levels deep in JSON text', () => {
    const text = JSON.stringify(ruleSetWith((r) => (r.scoring[0]!.when = '__deep__'))).replace(
      '"__deep__"',
      `${'{"!":'.repeat(100_000)}true${'}'.repeat(100_000)}`,
    );
    const problems = firstProblem(text)!;
    expect(problems.map((p) => p.path.slice(0, 'scoring[0].when'.length))).toEqual(['scoring[0].when']);
  });

  it('points at a transition guard with too many nodes', () => {
    const rules = ruleSetWith((r) => {
      r.lifecycle.transitions[1]!.when = { in: [{ var: 'lead.attributes.role' }, range(MAX_LOGIC_NODES + 10)] };
    });
    const problems = firstProblem(rules)!;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.path.startsWith('lifecycle.transitions[1].when.in[1]'))).toBe(true);
    expect(problems[0]!.message).toMatch(`more than ${MAX_LOGIC_NODES} nodes`);
  });

  it.each(INJECTION_CASES)('points at %s used as an operator in a routing condition', (_, text) => {
    const rules = ruleSetWith((r) => {
      r.routing.rules[1]!.when = { [text]: [{ var: 'band' }] };
    });
    expect(firstProblem(rules)).toEqual([{ path: 'routing.rules[1].when', message: `unknown operator "${text}"` }]);
  });

  it('points at __proto__ and constructor used as operators', () => {
    const rules = ruleSetWith((r) => {
      r.scoring[7]!.when = JSON.parse('{"or": [{"__proto__": [1]}, {"constructor": [1]}]}');
    });
    expect(firstProblem(rules)!.map((p) => p.path)).toEqual(['scoring[7].when.or[0]', 'scoring[7].when.or[1]']);
  });

  it('rejects an id crafted to break out of code, with its path', () => {
    const rules = ruleSetWith((r) => {
      r.scoring[0]!.id = INJECTIONS[0]!;
    });
    expect(firstProblem(rules)!.map((p) => p.path)).toEqual(['scoring[0].id']);
  });
});

describe('hostile event properties and lead attributes', () => {
  const at = (day: number) => `2026-03-${String(day).padStart(2, '0')}T09:00:00Z`;

  /** v1 with conditions that read event properties and attributes, including through prototype paths. */
  const ruleSet = compiled(
    ruleSetWith((r) => {
      r.scoring.push(
        {
          id: 'campaign-click',
          label: 'Click from the spring campaign',
          kind: 'engagement',
          on: ['email_click'],
          when: { '==': [{ var: 'event.properties.campaign' }, 'spring'] },
          points: 7,
        },
        {
          id: 'prototype-reader',
          label: 'Reads through prototypes (never matches)',
          kind: 'fit',
          when: {
            or: [
              { var: 'lead.attributes.__proto__.polluted' },
              { var: 'lead.attributes.toString' },
              { var: 'lead.attributes.hasOwnProperty' },
              { var: 'event.properties.toString' },
              { '!!': { var: 'lead.constructor' } },
            ],
          },
          points: 100,
        },
      );
    }),
  );

  function expectPlainState(state: LeadState): void {
    expect(Object.getPrototypeOf(state.attributes)).toBe(Object.prototype);
    expect(Number.isFinite(state.score.total)).toBe(true);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  }

  it('scores a lead normally when properties carry __proto__ and constructor keys', () => {
    const update = leadEventFromJson(
      JSON.stringify({ id: 'u1', leadId: 'lead-1', type: 'lead_updated', occurredAt: at(1), properties: {} }).replace(
        '"properties":{}',
        '"properties":{"__proto__":{"polluted":1,"customer":true,"role":"executive"},"constructor":{"prototype":{"polluted":2}},"companySize":500}',
      ),
    );
    const { state } = evaluate(ruleSet, null, update);
    expect(state.score).toEqual({ total: 5, fit: 5, engagement: 0 });
    expect(state.customer).toBe(false);
    expect(Object.hasOwn(state.attributes, '__proto__')).toBe(false);
    expect(state.attributes['constructor']).toEqual({ prototype: { polluted: 2 } });
    expect(state.stage).toBe('inquiry');
    expectPlainState(state);
  });

  it('keeps injected strings in event properties as data', () => {
    let state: LeadState | null = null;
    for (const [i, text] of INJECTIONS.entries()) {
      state = evaluate(ruleSet, state, leadEvent('email_click', at(2), { campaign: text, [text]: text })).state;
      state = evaluate(ruleSet, state, leadEvent('lead_updated', at(2), { role: text, [text]: i })).state;
    }
    expect(state!.score.engagement).toBe(10 * INJECTIONS.length);
    expect(state!.attributes['role']).toBe(INJECTIONS[INJECTIONS.length - 1]);
    expect(state!.rules['campaign-click']).toBeUndefined();
    expectPlainState(state!);
  });

  it('evaluates huge and deeply nested property values without crashing', () => {
    const properties = { campaign: 'spring', ids: range(1_000_000), deep: nested(100_000, (inner) => ({ a: inner }), 1) };
    const { state, explanation } = evaluate(ruleSet, null, leadEvent('email_click', at(3), properties));
    expect(state.score.engagement).toBe(17);
    expect(explanation.rules.map((r) => r.ruleId)).toEqual(['email-click', 'campaign-click']);
  });

  it('resumes from a stored state whose attributes carry a __proto__ key', () => {
    const first = evaluate(ruleSet, null, leadEvent('email_open', at(4))).state;
    const stored = JSON.parse(
      JSON.stringify(first).replace('"attributes":{}', '"attributes":{"__proto__":{"customer":true,"role":"executive"},"constructor":"x"}'),
    ) as LeadState;
    const { state } = evaluate(ruleSet, stored, leadEvent('lead_updated', at(5), { companySize: 10 }));
    expect(state.customer).toBe(false);
    expect(state.score.fit).toBe(0);
    expect(state.stage).toBe('inquiry');
  });

  it('refuses an event type crafted to break out of code with an evaluation error', () => {
    for (const text of INJECTIONS.filter((t) => t.length <= 64)) {
      expect(() => evaluate(ruleSet, null, leadEvent(text, at(6)))).toThrow(EvaluationError);
    }
  });
});

describe('rules that would run away', () => {
  const thousand = range(1000);

  it('stops nested loops over data with an error instead of running for hours', () => {
    const rule = { some: [thousand, { some: [thousand, { some: [thousand, { some: [thousand, false] }] }] }] };
    expect(() => evaluateLogic(rule, {})).toThrow(new LogicError(`evaluation exceeded ${MAX_LOGIC_STEPS} steps`));
  });

  it('stops nested maps before they exhaust memory', () => {
    const rule = { map: [thousand, { map: [thousand, { map: [thousand, 1] }] }] };
    expect(() => evaluateLogic(rule, {})).toThrow(/exceeded/);
  });

  it('stops an accumulator that doubles on every step', () => {
    const rule = { reduce: [thousand, { merge: [{ var: 'accumulator' }, { var: 'accumulator' }] }, [1]] };
    expect(() => evaluateLogic(rule, {})).toThrow(/exceeded/);
  });

  it('gives every evaluation a fresh budget', () => {
    const rule = { map: [{ var: 'items' }, 1] };
    const items = range(MAX_LOGIC_STEPS - 1);
    expect((evaluateLogic(rule, { items }) as unknown[]).length).toBe(MAX_LOGIC_STEPS - 1);
    expect((evaluateLogic(rule, { items }) as unknown[]).length).toBe(MAX_LOGIC_STEPS - 1);
  });

  it('reports an oversized rule once, not once per node', () => {
    expect(compileLogic({ in: [1, range(200_000)] }).problems).toHaveLength(1);
  });
});

describe('attributes named like prototype keys', () => {
  it('keeps "__proto__" in lead_updated properties as plain data', () => {
    const rules = compiled(ruleSetWith(() => {}));
    const event = leadEventFromJson('{"id":"a","leadId":"l","type":"lead_updated","occurredAt":"2026-01-01T00:00:00Z","properties":{}}');
    const { state } = evaluate(rules, null, { ...event, properties: JSON.parse('{"__proto__":{"customer":true}}') });
    expect(state.customer).toBe(false);
    expect(Object.getPrototypeOf(state.attributes)).toBe(Object.prototype);
    expect(JSON.stringify(state.attributes)).toBe('{"__proto__":{"customer":true}}');
  });
});
