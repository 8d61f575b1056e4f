import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import ConditionBuilder from '../../../editor/src/lib/components/ConditionBuilder.svelte';
import Harness from './Harness.svelte';

const EVENT_TYPES = [
  { type: 'webinar_attended', label: 'Webinar attended' },
  { type: 'demo_request', label: 'Demo request' },
];

/** Renders the builder for `logic`; returns the spy that receives every condition it emits. */
function builder(logic: unknown, locale: 'en' | 'ja' = 'en') {
  const onchange = vi.fn();
  render(Harness, {
    props: { component: ConditionBuilder, locale, props: { logic, label: 'Condition', eventTypes: EVENT_TYPES, onchange } },
  });
  return { onchange, last: () => onchange.mock.calls.at(-1)?.[0] };
}

const rows = () => screen.getAllByTestId('condition-row');

describe('ConditionBuilder', () => {
  it('shows an existing nested condition as groups of rows, with the condition in words', () => {
    builder({
      or: [
        { '>=': [{ var: 'score.total' }, { var: 'thresholds.mql' }] },
        { and: [{ '==': [{ var: 'band' }, 'hot'] }, { var: 'lead.customer' }] },
      ],
    });
    expect(screen.getAllByTestId('condition-group')).toHaveLength(2);
    expect(rows()).toHaveLength(3);
    expect(screen.getByTestId('condition-words').textContent).toBe('Total score ≥ MQL threshold or (Band = Hot and Existing customer)');
  });

  it('emits JSON-Logic when a value is edited', async () => {
    const { last } = builder({ '>=': [{ var: 'score.total' }, 60] });
    const value = within(rows()[0]!).getByLabelText('Value');
    await fireEvent.input(value, { target: { value: '75' } });
    expect(last()).toEqual({ '>=': [{ var: 'score.total' }, 75] });
  });

  it('switches the root between all (and) and any (or)', async () => {
    const { last } = builder({ and: [{ '==': [{ var: 'band' }, 'hot'] }, { '>': [{ var: 'score.fit' }, 5] }] });
    const [combinator] = screen.getAllByLabelText('Match');
    await fireEvent.change(combinator!, { target: { value: 'or' } });
    expect(last()).toEqual({ or: [{ '==': [{ var: 'band' }, 'hot'] }, { '>': [{ var: 'score.fit' }, 5] }] });
  });

  it('adds a nested group of the other kind and negates it', async () => {
    const { last } = builder({ '==': [{ var: 'band' }, 'hot'] });
    await fireEvent.click(screen.getByRole('button', { name: '+ Add group' }));
    expect(last()).toEqual({ and: [{ '==': [{ var: 'band' }, 'hot'] }, { or: [{ '>=': [{ var: 'score.total' }, 0] }] }] });

    const negate = screen.getAllByLabelText('Negate this group')[1]!;
    await fireEvent.click(negate);
    expect(last()).toEqual({ and: [{ '==': [{ var: 'band' }, 'hot'] }, { '!': { or: [{ '>=': [{ var: 'score.total' }, 0] }] } }] });
  });

  it('changes the field and keeps an operator that fits it', async () => {
    const { last } = builder({ '>': [{ var: 'score.total' }, 10] });
    const field = within(rows()[0]!).getByLabelText('Field');
    await fireEvent.change(field, { target: { value: 'history.counts.demo_request' } });
    expect(last()).toEqual({ '>': [{ var: 'history.counts.demo_request' }, 10] });
  });

  it('builds list membership from checkboxes for a band', async () => {
    const { last } = builder({ '==': [{ var: 'band' }, 'hot'] });
    await fireEvent.change(within(rows()[0]!).getByLabelText('Operator'), { target: { value: 'in' } });
    expect(last()).toEqual({ in: [{ var: 'band' }, ['hot']] });
    await fireEvent.click(within(rows()[0]!).getByLabelText('Warm'));
    expect(last()).toEqual({ in: [{ var: 'band' }, ['hot', 'warm']] });
  });

  it('removes the last condition, leaving no condition at all', async () => {
    const { last } = builder({ '==': [{ var: 'band' }, 'hot'] });
    await fireEvent.click(within(rows()[0]!).getByRole('button', { name: 'Remove condition' }));
    expect(last()).toBeUndefined();
    expect(screen.getByText('No condition: always applies.')).toBeTruthy();
  });

  it('keeps JSON-Logic it cannot show as a form and shows it read-only', async () => {
    const custom = { '<': [0, { var: 'score.total' }, 50] };
    builder(custom);
    expect(screen.getByText('Custom rule')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Show JSON' }));
    expect(JSON.parse(screen.getByTestId('condition-json').textContent ?? '')).toEqual(custom);
  });

  it('speaks Japanese when the editor does', () => {
    builder({ and: [{ '>=': [{ var: 'score.total' }, 60] }, { '==': [{ var: 'band' }, 'hot'] }] }, 'ja');
    expect(screen.getByTestId('condition-words').textContent).toBe('合計スコア ≥ 60 かつ バンド = ホット');
  });
});
