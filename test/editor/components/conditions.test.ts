import { describe, expect, it } from 'vitest';
import {
  adaptOperand,
  fromLogic,
  rootFromLogic,
  rootToLogic,
  toLogic,
  type ConditionNode,
  type GroupNode,
} from '../../../editor/src/lib/logic/conditions';
import v1 from '../../../rules/v1.json';

/** Every condition, guard and routing condition of the default rule set. */
function v1Conditions(): unknown[] {
  return [
    ...v1.scoring.map((r: { when?: unknown }) => r.when),
    ...v1.lifecycle.transitions.map((t: { when?: unknown }) => t.when),
    ...v1.routing.rules.map((r: { when?: unknown }) => r.when),
  ].filter((when) => when !== undefined);
}

const condition = (field: string, operator: ConditionNode['operator'], operand: ConditionNode['operand']): ConditionNode => ({
  kind: 'condition',
  id: 'x',
  field,
  operator,
  operand,
});
const group = (combinator: 'and' | 'or', children: GroupNode['children'], negated = false): GroupNode => ({
  kind: 'group',
  id: 'g',
  combinator,
  negated,
  children,
});

describe('condition builder: JSON-Logic from the form', () => {
  it('writes a comparison of a field with a value', () => {
    expect(toLogic(condition('score.total', '>=', { kind: 'value', value: 60 }))).toEqual({ '>=': [{ var: 'score.total' }, 60] });
  });

  it('writes a comparison of a field with another field', () => {
    expect(toLogic(condition('score.total', '>=', { kind: 'field', field: 'thresholds.mql' }))).toEqual({
      '>=': [{ var: 'score.total' }, { var: 'thresholds.mql' }],
    });
  });

  it('writes list membership, its negation and text containment', () => {
    expect(toLogic(condition('lead.attributes.role', 'in', { kind: 'list', values: ['executive', 'director'] }))).toEqual({
      in: [{ var: 'lead.attributes.role' }, ['executive', 'director']],
    });
    expect(toLogic(condition('band', 'not_in', { kind: 'list', values: ['cold'] }))).toEqual({ '!': { in: [{ var: 'band' }, ['cold']] } });
    expect(toLogic(condition('event.properties.title', 'contains', { kind: 'value', value: 'pricing' }))).toEqual({
      in: ['pricing', { var: 'event.properties.title' }],
    });
  });

  it('writes nested and/or groups, negated groups included', () => {
    const tree = group('and', [
      condition('score.total', '>=', { kind: 'value', value: 40 }),
      group('or', [condition('band', '==', { kind: 'value', value: 'hot' }), condition('lead.customer', 'truthy', { kind: 'none' })]),
      group('and', [condition('history.daysInactive', '>', { kind: 'value', value: 30 })], true),
    ]);
    expect(rootToLogic(tree)).toEqual({
      and: [
        { '>=': [{ var: 'score.total' }, 40] },
        { or: [{ '==': [{ var: 'band' }, 'hot'] }, { var: 'lead.customer' }] },
        { '!': { and: [{ '>': [{ var: 'history.daysInactive' }, 30] }] } },
      ],
    });
  });

  it('leaves the condition out when the root group is empty, and unwraps a root with one condition', () => {
    expect(rootToLogic(group('and', []))).toBeUndefined();
    expect(rootToLogic(group('or', [condition('band', '==', { kind: 'value', value: 'warm' })]))).toEqual({
      '==': [{ var: 'band' }, 'warm'],
    });
  });
});

describe('condition builder: the form from existing JSON-Logic', () => {
  it('reads nested and/or groups into a tree', () => {
    const root = rootFromLogic({
      or: [{ and: [{ '>': [{ var: 'score.fit' }, 5] }, { '!': { var: 'lead.customer' } }] }, { '==': [{ var: 'band' }, 'hot'] }],
    });
    expect(root.combinator).toBe('or');
    const [inner, last] = root.children as [GroupNode, ConditionNode];
    expect(inner).toMatchObject({ kind: 'group', combinator: 'and' });
    expect(inner.children).toMatchObject([
      { kind: 'condition', field: 'score.fit', operator: '>', operand: { kind: 'value', value: 5 } },
      { kind: 'condition', field: 'lead.customer', operator: 'falsy' },
    ]);
    expect(last).toMatchObject({ field: 'band', operator: '==', operand: { kind: 'value', value: 'hot' } });
  });

  it('keeps a var default', () => {
    const node = fromLogic({ '>': [{ var: ['history.counts.demo_request', 0] }, 0] });
    expect(node).toMatchObject({ kind: 'condition', field: 'history.counts.demo_request', fallback: 0, operator: '>' });
    expect(toLogic(node)).toEqual({ '>': [{ var: ['history.counts.demo_request', 0] }, 0] });
  });

  it('keeps what the form cannot show as a custom part, unchanged', () => {
    const custom = { '<': [0, { var: 'score.total' }, 50] };
    const root = rootFromLogic({ and: [custom, { '==': [{ var: 'band' }, 'hot'] }] });
    expect(root.children[0]).toMatchObject({ kind: 'custom', logic: custom });
    expect(rootToLogic(root)).toEqual({ and: [custom, { '==': [{ var: 'band' }, 'hot'] }] });
  });

  it.each(v1Conditions().map((logic) => [JSON.stringify(logic), logic]))('round-trips the default rule set condition %s', (_, logic) => {
    expect(rootToLogic(rootFromLogic(logic))).toEqual(logic);
    expect(JSON.stringify(rootFromLogic(logic))).not.toContain('"custom"');
  });
});

describe('condition builder: changing the operator', () => {
  it('turns a single value into a one-item list and back', () => {
    expect(adaptOperand({ kind: 'value', value: 'hot' }, 'in')).toEqual({ kind: 'list', values: ['hot'] });
    expect(adaptOperand({ kind: 'list', values: ['hot', 'warm'] }, '==')).toEqual({ kind: 'value', value: 'hot' });
  });

  it('drops the value for yes/no operators and keeps a field reference for comparisons', () => {
    expect(adaptOperand({ kind: 'value', value: 3 }, 'truthy')).toEqual({ kind: 'none' });
    expect(adaptOperand({ kind: 'field', field: 'thresholds.mql' }, '<')).toEqual({ kind: 'field', field: 'thresholds.mql' });
  });
});
