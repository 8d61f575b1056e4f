import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import EventTypePicker from '../../../editor/src/lib/components/EventTypePicker.svelte';
import Harness from './Harness.svelte';

const EVENT_TYPES = [
  { type: 'email_open', label: 'Email opened' },
  { type: 'contact_request', label: 'Contact request' },
  { type: 'demo_request', label: 'Demo request' },
];

function picker(selected: string[]) {
  const onchange = vi.fn();
  render(Harness, {
    props: { component: EventTypePicker, props: { id: 'p', label: 'Event types', selected, eventTypes: EVENT_TYPES, onchange } },
  });
  return onchange;
}

describe('EventTypePicker', () => {
  it('sums up the chosen event types in their translated names', () => {
    picker(['contact_request', 'demo_request']);
    expect(screen.getByLabelText('Event types: Contact request, Demo request')).toBeTruthy();
  });

  it('adds a type in the rule set’s order, whatever the clicking order', async () => {
    const onchange = picker(['demo_request']);
    await fireEvent.click(screen.getByLabelText('Email opened'));
    expect(onchange).toHaveBeenLastCalledWith(['email_open', 'demo_request']);
  });

  it('removes a type', async () => {
    const onchange = picker(['contact_request', 'demo_request']);
    await fireEvent.click(screen.getByLabelText('Contact request'));
    expect(onchange).toHaveBeenLastCalledWith(['demo_request']);
  });
});
