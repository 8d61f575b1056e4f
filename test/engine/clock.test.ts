import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluate, nextTimeChange, tickEvent, type LeadState } from '../../engine/index';
import { day, ev, events, run, ruleSet } from './fixtures';

const v1 = ruleSet();
const MS_PER_DAY = 86_400_000;

/** ISO time `days` after `from`. */
function later(from: string, days: number): string {
  return new Date(Date.parse(from) + days * MS_PER_DAY).toISOString();
}

/** What a tick at `at` leaves. */
function tickAt(state: LeadState, at: string): LeadState {
  return evaluate(v1, state, tickEvent(state, at)).state;
}

describe('next time-based change', () => {
  it('is dormancy after dormantAfterDays of silence for a cold inquiry', () => {
    const { state } = run(v1, events('email_click'));
    expect(state.band).toBe('cold');
    expect(nextTimeChange(v1, state)).toEqual({ at: later(state.lastActivityAt!, 90), stage: 'dormant', band: 'cold' });
  });

  it('is the first whole day decay takes a warm lead below the warm band', () => {
    // 10 + 20 + 5 = 35; 35 × 0.5^(6/30) = 30.47 stays warm, 35 × 0.5^(7/30) = 29.82 is cold.
    const { state } = run(v1, events('email_click', 'webinar_attended', 'email_open'));
    expect(state.band).toBe('warm');
    expect(nextTimeChange(v1, state)).toEqual({ at: later(state.lastActivityAt!, 7), stage: 'inquiry', band: 'cold' });
  });

  it('is the recycling of a lost deal after recycleLostAfterDays in lost', () => {
    const { state } = run(v1, [
      ev('lead_updated', 0, { customer: true }),
      ev('demo_request', 0.01),
      ev('deal_lost', 1, { reason: 'budget' }),
    ]);
    expect(state.stage).toBe('lost');
    const change = nextTimeChange(v1, state);
    // Decay first takes the 30-point demo request below warm (day 1 + 0 → 30 × 0.5^(1/30) < 30), which is a band change.
    expect(change?.band).toBe('cold');
    const cold = tickAt(state, change!.at);
    expect(nextTimeChange(v1, cold)).toEqual({ at: later(state.stageEnteredAt, 30), stage: 'nurture', band: 'cold' });
  });

  it('is customer dormancy customerDormantAfterDays after the last won deal', () => {
    const { state } = run(v1, [ev('lead_updated', 0, { customer: true }), ev('email_open', 0.01), ev('deal_won', 2, { amount: 100 })]);
    // A won lead stays won; the lead went to won only through SQL, so move it there first.
    const won: LeadState = { ...state, stage: 'won', stageEnteredAt: day(2) };
    expect(nextTimeChange(v1, won)).toEqual({ at: later(won.lastDealAt!, 365), stage: 'dormant', band: 'cold' });
  });

  it('is the day decay enables a time guard that reads the score', () => {
    const cooling = ruleSet((json) =>
      json['lifecycle'].transitions.push({
        id: 'cooled-off',
        label: 'Hand-off cooled off',
        from: ['mql'],
        to: 'nurture',
        on: ['time'],
        when: { '<': [{ var: 'score.total' }, 45] },
      }),
    );
    const { state } = run(cooling, events('email_click', 'webinar_attended', 'demo_request'));
    expect([state.stage, state.score.total]).toEqual(['mql', 60]);
    // 60 × 0.5^(1/30) = 58.63 is warm the next day; 60 × 0.5^(13/30) = 44.24 is below 45 on day 13.
    const warm = nextTimeChange(cooling, state)!;
    expect(warm).toEqual({ at: later(state.lastActivityAt!, 1), stage: 'mql', band: 'warm' });
    const next = evaluate(cooling, state, tickEvent(state, warm.at)).state;
    expect(nextTimeChange(cooling, next)).toEqual({ at: later(state.lastActivityAt!, 13), stage: 'nurture', band: 'warm' });
  });

  it('is found from the timing values read by the guards leaving the stage, or from all of them when a guard computes its path', () => {
    const early = (when: unknown) =>
      ruleSet((json) =>
        json['lifecycle'].transitions.unshift({
          id: 'early-dormant',
          label: 'Early dormancy',
          from: ['inquiry'],
          to: 'dormant',
          on: ['time'],
          when,
        }),
      );
    const { state } = run(v1, [ev('email_open', 0)]);
    expect([state.stage, state.band]).toEqual(['inquiry', 'cold']);
    expect(nextTimeChange(v1, state)).toEqual({ at: later(state.lastActivityAt!, 90), stage: 'dormant', band: 'cold' });
    // recycleLostAfterDays (30) read by name from inquiry, by a path built at run time, or written as a number.
    const byName = { '>=': [{ var: 'history.daysInactive' }, { var: 'timing.recycleLostAfterDays' }] };
    const computed = { '>=': [{ var: 'history.daysInactive' }, { var: { cat: ['timing.', 'recycleLostAfterDays'] } }] };
    const written = { '>=': [{ var: 'history.daysInactive' }, 30] };
    for (const when of [byName, computed, written]) {
      expect(nextTimeChange(early(when), state), JSON.stringify(when)).toEqual({
        at: later(state.lastActivityAt!, 30),
        stage: 'dormant',
        band: 'cold',
      });
    }
  });

  it('is null when nothing changes with time alone', () => {
    const { state } = run(v1, [ev('disqualified', 0, { reason: 'spam' })]);
    expect(state.stage).toBe('disqualified');
    expect(nextTimeChange(v1, state)).toBeNull();
  });

  it('is due 1 ms after the newest event when the rule set makes a change already due', () => {
    const { state } = run(v1, [ev('email_click', 0), ev('sales_accepted', 50)]);
    const shorter = ruleSet((json) => (json['lifecycle'].timing.dormantAfterDays = 10));
    expect(nextTimeChange(shorter, state)).toEqual({ at: later(state.asOf, 1 / MS_PER_DAY), stage: 'dormant', band: 'cold' });
  });

  it('moves nothing before the moment it names, and the tick then makes that change; the state is left as it was', () => {
    const types = ['email_open', 'email_click', 'site_visit', 'webinar_attended', 'demo_request', 'sales_rejected', 'deal_lost'];
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(...types), gap: fc.double({ min: 0, max: 120, noNaN: true }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (steps, fraction) => {
          let at = 0;
          const list = steps.map(({ type, gap }) => ev(type, (at += gap)));
          const { state } = run(v1, list);
          const copy = structuredClone(state);
          const change = nextTimeChange(v1, state);
          // The ticks it tries are applied to copies that share what a tick does not change.
          expect(state).toEqual(copy);
          if (!change) return;
          const due = Date.parse(change.at);
          const before = new Date(Date.parse(state.asOf) + Math.floor((due - Date.parse(state.asOf)) * fraction) - 1);
          if (before.getTime() > Date.parse(state.asOf)) {
            const quiet = tickAt(state, before.toISOString());
            expect([quiet.stage, quiet.band]).toEqual([state.stage, state.band]);
          }
          const ticked = tickAt(state, change.at);
          expect([ticked.stage, ticked.band]).toEqual([change.stage, change.band]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('tick events', () => {
  it('have ids unique per lead, time and place in the history', () => {
    const { state } = run(v1, events('email_click'));
    const first = tickEvent(state, day(90));
    expect(first).toEqual({ id: `tick:lead-1:${day(90)}:1`, leadId: 'lead-1', type: 'tick', occurredAt: day(90), properties: {} });
    const after = evaluate(v1, state, first).state;
    expect(tickEvent(after, day(90)).id).not.toBe(first.id);
  });
});
