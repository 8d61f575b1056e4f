import { describe, expect, it } from 'vitest';
import { compileLogic, LogicBudgetError, MAX_LOGIC_STEPS, withLogicBudget } from '../../engine/index';

const items = Array.from({ length: 1_000 }, (_, i) => i);
/** 1,000 steps of loop work and 1,002 nodes per evaluation. */
const loop = compileLogic({ some: [items, { '==': [1, 2] }] }).run;

describe('a budget shared by many evaluations', () => {
  it('stops the evaluations once together they pass it, though each stays under its own', () => {
    const run = () => withLogicBudget(10_000, () => Array.from({ length: 10 }, () => loop({})));
    expect(run).toThrow(LogicBudgetError);
    expect(run).toThrow('shared budget of 10000 steps');
  });

  it('lets the same evaluations through when they fit', () => {
    expect(withLogicBudget(100_000, () => Array.from({ length: 10 }, () => loop({})))).toEqual(Array(10).fill(false));
  });

  it('counts each evaluation by its size too, so many small rules cannot run unbounded', () => {
    const small = compileLogic({ '==': [{ var: 'a' }, 1] }).run;
    expect(() => withLogicBudget(100, () => Array.from({ length: 100 }, () => small({ a: 1 })))).toThrow(LogicBudgetError);
  });

  it('ends with the work it bounds: evaluations after it have only their own budget', () => {
    expect(() => withLogicBudget(10, () => loop({}))).toThrow(LogicBudgetError);
    expect(loop({})).toBe(false);
    expect(MAX_LOGIC_STEPS).toBeGreaterThan(1_000);
  });
});
