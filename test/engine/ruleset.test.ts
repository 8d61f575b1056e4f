import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { caseFileJsonSchema, loadRuleSet, ruleSetJsonSchema, type Problem } from '../../engine/index';
import { v1Json } from './fixtures';

/** Loads v1 after a change and returns the problems (failing if it loads). */
function problems(change: (json: Record<string, any>) => void): Problem[] {
  const json = v1Json();
  change(json);
  const result = loadRuleSet(json);
  if (result.ok) throw new Error('expected the rule set to be rejected');
  return result.problems;
}

describe('loading rule files', () => {
  it('loads rules/v1.json', () => {
    const result = loadRuleSet(readFileSync(new URL('../../rules/v1.json', import.meta.url), 'utf8'));
    expect(result.ok).toBe(true);
  });

  it('freezes the loaded definition, so a rule set cannot change under a running engine', () => {
    const result = loadRuleSet(v1Json());
    if (!result.ok) throw new Error('v1 should load');
    expect(() => {
      (result.ruleSet.definition.scoring[0] as { points: number }).points = 99;
    }).toThrow(TypeError);
  });

  it('keeps rules/ruleset.schema.json in step with the schema (run `npm run schema`)', () => {
    const file = JSON.parse(readFileSync(new URL('../../rules/ruleset.schema.json', import.meta.url), 'utf8'));
    expect(file).toEqual(JSON.parse(JSON.stringify(ruleSetJsonSchema())));
  });

  it('keeps rules/cases.schema.json in step with the schema (run `npm run schema`)', () => {
    const file = JSON.parse(readFileSync(new URL('../../rules/cases.schema.json', import.meta.url), 'utf8'));
    expect(file).toEqual(JSON.parse(JSON.stringify(caseFileJsonSchema())));
  });
});

describe('bad rule files', () => {
  it('reports invalid JSON with line and column', () => {
    const result = loadRuleSet('{\n  "version": "v1",\n  "parent": nul\n}');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]!.message).toBe('invalid JSON at line 3, column 13: InvalidSymbol');
  });

  it.each([[null], [42], ['text'], [[]], [{}], [{ version: 'v1' }]])('rejects %j without throwing', (value) => {
    const result = loadRuleSet(value);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.length).toBeGreaterThan(0);
  });

  it('names the field of a wrong type', () => {
    expect(problems((j) => (j.scoring[2].points = 'fifteen'))).toEqual([
      { path: 'scoring[2].points', message: expect.stringContaining('number') },
    ]);
  });

  it('rejects an unknown field, so a typo does not pass silently', () => {
    expect(problems((j) => (j.scoring[0].pionts = 5))).toEqual([{ path: 'scoring[0]', message: expect.stringContaining('pionts') }]);
  });

  it('rejects an unknown event type in a scoring rule', () => {
    expect(problems((j) => (j.scoring[1].on = ['email_clik']))).toEqual([
      { path: 'scoring[1].on[0]', message: 'unknown event type "email_clik" (declare it in eventTypes)' },
    ]);
  });

  it('rejects an unknown event type in a transition', () => {
    expect(problems((j) => j.lifecycle.transitions[4].on.push('sales_acepted'))).toEqual([
      { path: 'lifecycle.transitions[4].on[1]', message: 'unknown event type "sales_acepted"' },
    ]);
  });

  it('rejects an unknown JSON-Logic operator, with its path inside the condition', () => {
    expect(problems((j) => (j.scoring[4].when = { and: [true, { contians: ['a', 'b'] }] }))).toEqual([
      { path: 'scoring[4].when.and[1]', message: 'unknown operator "contians"' },
    ]);
  });

  it('rejects bad operators in guards and routing rules too', () => {
    const found = problems((j) => {
      j.lifecycle.transitions[1].when = { '>==': [1, 2] };
      j.routing.rules[1].when = { '==': [{ vars: 'band' }, 'hot'] };
    });
    expect(found.map((p) => p.path)).toEqual(['lifecycle.transitions[1].when', 'routing.rules[1].when.==[0]']);
  });

  it('rejects a stage that no transition can reach', () => {
    expect(
      problems((j) => {
        j.lifecycle.transitions = j.lifecycle.transitions.filter((t: { to: string }) => t.to !== 'sal');
      }),
    ).toContainEqual({ path: 'lifecycle.transitions', message: 'stage "sal" is unreachable from "inquiry"' });
  });

  it('rejects band thresholds out of order', () => {
    expect(problems((j) => (j.bands = { hot: 30, warm: 60 }))).toEqual([
      { path: 'bands.warm', message: 'thresholds out of order: warm (60) must be below hot (30)' },
    ]);
  });

  it('rejects a reactivation threshold above the MQL threshold', () => {
    expect(problems((j) => (j.lifecycle.thresholds.reactivation = 80))[0]!.path).toBe('lifecycle.thresholds.reactivation');
  });

  it('rejects duplicate ids, pointing at the second', () => {
    expect(problems((j) => (j.scoring[1].id = 'email-open'))).toEqual([
      { path: 'scoring[1].id', message: 'duplicate id "email-open" (first at scoring[0])' },
    ]);
  });

  it('rejects an engagement rule without event types and a fit rule with caps', () => {
    const found = problems((j) => {
      delete j.scoring[0].on;
      j.scoring[7].caps = { maxTimes: 1 };
    });
    expect(found.map((p) => p.path)).toEqual(['scoring[0].on', 'scoring[7].caps']);
  });

  it('rejects a transition from a stage to itself', () => {
    expect(problems((j) => j.lifecycle.transitions[1].from.push('mql'))[0]).toEqual({
      path: 'lifecycle.transitions[1].from[2]',
      message: 'a transition cannot lead from "mql" to itself',
    });
  });

  it('rejects event type names reserved for the engine', () => {
    expect(problems((j) => j.eventTypes.push({ type: 'deal_won', label: 'Won' }))[0]!.path).toBe('eventTypes[10].type');
  });

  it('rejects a malformed version, time and stage name', () => {
    const found = problems((j) => {
      j.version = '1.0';
      j.createdAt = 'yesterday';
      j.lifecycle.transitions[0].to = 'closed';
    });
    expect(found.map((p) => p.path)).toEqual(['version', 'createdAt', 'lifecycle.transitions[0].to']);
  });

  it('lists every problem at once, not just the first', () => {
    const found = problems((j) => {
      j.scoring[1].on = ['nope'];
      j.scoring[2].when = { bogus: 1 };
      j.bands.warm = 100;
    });
    expect(found).toHaveLength(3);
  });
});
