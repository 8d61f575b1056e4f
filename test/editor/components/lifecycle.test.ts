import { describe, expect, it } from 'vitest';
import { STAGE_NAMES } from '../../../editor/src/lib/logic/fields';
import { layoutLifecycle, shorten, smoothPath, wrap } from '../../../editor/src/lib/logic/diagram';
import {
  alwaysTrue,
  checkLifecycle,
  guardValues,
  unreachableStages,
  varsRead,
  type TransitionShape,
} from '../../../editor/src/lib/logic/lifecycle';
import v1 from '../../../rules/v1.json';

const ACTIVITY_TYPES = new Set(v1.eventTypes.map((e) => e.type));
const transitions: TransitionShape[] = v1.lifecycle.transitions;

/** A transition with the defaults a test does not care about. */
function transition(overrides: Partial<TransitionShape> & { id: string }): TransitionShape {
  return { from: ['inquiry'], to: 'mql', on: ['activity'], ...overrides };
}

const check = (list: readonly TransitionShape[]) => checkLifecycle(list, STAGE_NAMES, ACTIVITY_TYPES);

describe('lifecycle diagram layout', () => {
  const text = (t: TransitionShape, i: number) => ({ head: `${i + 1} · ${t.id}`, guard: t.when ? 'guard words' : undefined });
  const layout = layoutLifecycle(STAGE_NAMES, transitions, text);
  const stage = (name: string) => layout.stages.find((s) => s.stage === name)!;

  it('draws every stage and one labelled edge for each source stage of each transition', () => {
    expect(layout.stages.map((s) => s.stage)).toEqual([...STAGE_NAMES]);
    const expected = transitions.reduce((n, t) => n + t.from.length, 0);
    expect(layout.edges).toHaveLength(expected);
    expect(layout.edges.filter((e) => e.transitionId === 'disqualified').map((e) => e.number)).toEqual(Array(7).fill(11));
  });

  it('labels a transition’s first arrow with its number, trigger and guard, and its other arrows with the number', () => {
    expect(layout.edges.filter((e) => e.transitionId === 'reached-mql-threshold').map((e) => e.lines)).toEqual([
      ['2 · reached-mql-…', 'guard words'],
      ['2'],
    ]);
    expect(layout.edges.find((e) => e.transitionId === 'deal-won')!.lines).toEqual(['8 · deal-won']);
  });

  it('ranks the waterfall from top to bottom', () => {
    const order = ['inquiry', 'mql', 'sal', 'sql', 'won'].map((s) => stage(s).y);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);
  });

  it('keeps every box and label inside the drawing and no two boxes on top of each other', () => {
    for (const box of layout.stages) {
      expect(box.x).toBeGreaterThan(0);
      expect(box.x).toBeLessThan(layout.width);
      expect(box.y).toBeLessThan(layout.height);
    }
    // Narrow enough to read at the width of the rules pane.
    expect(layout.width).toBeLessThan(1100);
    const places = new Set(layout.stages.map((s) => `${s.x},${s.y}`));
    expect(places.size).toBe(layout.stages.length);
    for (const edge of layout.edges) {
      expect(edge.path).toMatch(/^M [\d.]+ [\d.]+/);
      expect(edge.label.x + edge.label.width / 2).toBeLessThanOrEqual(layout.width + 1);
    }
  });

  it('draws a transition added to the list', () => {
    const added = [...transitions, transition({ id: 'fast-track', from: ['mql'], to: 'sql', on: ['demo_request'] })];
    const more = layoutLifecycle(STAGE_NAMES, added, text);
    expect(more.edges.filter((e) => e.transitionId === 'fast-track').map((e) => [e.from, e.to, e.number])).toEqual([['mql', 'sql', 14]]);
  });

  it('draws a self-loop rather than dropping it', () => {
    const loop = layoutLifecycle(STAGE_NAMES, [transition({ id: 'loop', from: ['mql'], to: 'mql' })], text);
    expect(loop.edges).toHaveLength(1);
    expect(loop.edges[0]!.path).toContain('Q');
  });

  it('shortens long texts with an ellipsis, counting Japanese characters double', () => {
    expect(shorten('Total score ≥ MQL threshold', 12)).toBe('Total score…');
    expect(shorten('short', 12)).toBe('short');
    expect(shorten('合計スコア ≥ MQL しきい値', 10)).toBe('合計スコ…');
  });

  it('wraps a guard at spaces into a few lines', () => {
    expect(wrap('Total score ≥ MQL threshold', 17, 2)).toEqual(['Total score ≥', 'MQL threshold']);
    expect(wrap('Days without activity ≥ Dormancy period (days)', 17, 2)).toEqual(['Days without', 'activity ≥ Dorma…']);
    expect(wrap('short', 17, 2)).toEqual(['short']);
  });

  it('smooths a route through its middle points', () => {
    expect(
      smoothPath([
        { x: 0, y: 0 },
        { x: 10, y: 0 },
        { x: 20, y: 10 },
      ]),
    ).toBe('M 0 0 Q 10 0 15 5 L 20 10');
  });
});

describe('lifecycle checks', () => {
  it('finds nothing wrong with the shipped rule set', () => {
    expect(check(transitions)).toEqual([]);
  });

  it('flags a stage no transition leads to', () => {
    const withoutDormant = transitions.filter((t) => t.to !== 'dormant');
    expect(unreachableStages(withoutDormant, STAGE_NAMES)).toEqual(['dormant']);
    expect(check(withoutDormant)).toContainEqual({ kind: 'unreachable', stage: 'dormant' });
  });

  it('flags a transition back to its own stage', () => {
    const list = [...transitions, transition({ id: 'loop', from: ['mql', 'sal'], to: 'mql', on: ['email_open'] })];
    expect(check(list).filter((f) => f.kind === 'self-loop')).toEqual([
      { kind: 'self-loop', index: 13, transitionId: 'loop', stage: 'mql' },
    ]);
  });

  it('flags a transition an earlier one without a guard always beats', () => {
    const list = [
      transition({ id: 'any-click', from: ['inquiry'], to: 'mql', on: ['activity'] }),
      transition({ id: 'demo', from: ['inquiry', 'nurture'], to: 'sql', on: ['demo_request'], when: { var: 'lead.customer' } }),
    ];
    expect(check(list).filter((f) => f.kind === 'shadowed')).toEqual([
      { kind: 'shadowed', index: 1, transitionId: 'demo', stage: 'inquiry', trigger: 'demo_request', byIndex: 0, byId: 'any-click' },
    ]);
  });

  it('flags a transition after one with the same guard, and not one after a different guard', () => {
    const guard = { '>=': [{ var: 'score.total' }, 50] };
    const same = [transition({ id: 'a', when: guard }), transition({ id: 'b', to: 'nurture', when: guard })];
    const other = [
      transition({ id: 'a', when: guard }),
      transition({ id: 'b', to: 'nurture', when: { '<': [{ var: 'score.total' }, 50] } }),
    ];
    expect(check(same).map((f) => f.kind)).toContain('shadowed');
    expect(check(other).map((f) => f.kind)).not.toContain('shadowed');
  });

  it('does not let a guarded earlier transition or another trigger shadow a later one', () => {
    const list = [
      transition({ id: 'a', on: ['email_open'] }),
      transition({ id: 'b', on: ['activity'], when: { var: 'lead.customer' } }),
      transition({ id: 'c', to: 'nurture', on: ['email_click'] }),
    ];
    expect(check(list).filter((f) => f.kind === 'shadowed')).toEqual([]);
  });

  it('treats no guard and constant truths as always true', () => {
    expect([undefined, true, 1, 'yes'].map(alwaysTrue)).toEqual([true, true, true, true]);
    expect([false, 0, '', { var: 'lead.customer' }].map(alwaysTrue)).toEqual([false, false, false, false]);
  });
});

describe('why a transition fired', () => {
  const explanation = {
    eventType: 'webinar_attended',
    score: { before: { total: 40, engagement: 30, fit: 10 }, after: { total: 65, engagement: 55, fit: 10 } },
    band: { before: 'cold', after: 'warm' },
  } as const;

  it('lists the paths a guard reads', () => {
    expect(varsRead({ and: [{ '>=': [{ var: 'score.total' }, { var: 'thresholds.mql' }] }, { var: ['lead.customer', false] }] })).toEqual([
      'score.total',
      'thresholds.mql',
      'lead.customer',
    ]);
  });

  it('gives the scores after the event and the rule set limits the guard compared', () => {
    const guard = { '>=': [{ var: 'score.total' }, { var: 'thresholds.mql' }] };
    expect(guardValues(guard, explanation, v1.lifecycle)).toEqual([
      { path: 'score.total', value: 65 },
      { path: 'thresholds.mql', value: 60 },
    ]);
  });

  it('leaves out what the explanation does not carry', () => {
    expect(guardValues({ '>=': [{ var: 'history.daysInactive' }, 90] }, explanation, v1.lifecycle)).toEqual([]);
  });
});
