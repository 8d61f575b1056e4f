import { describe, expect, it, afterAll } from 'vitest';
import { transition as machineTransition } from 'xstate';
import { STAGES } from '../../engine/index';
import { ev, events, run, ruleSet, v1Json, type Run } from './fixtures';

const v1 = ruleSet();
const exercised = new Set<string>();
/** Runs a scenario and remembers which v1 transitions it took, for the coverage check at the end. */
function scenario(...args: Parameters<typeof run>): Run {
  const result = run(...args);
  result.transitions.forEach((t) => exercised.add(t));
  return result;
}

/** Email click + webinar + demo request: 10 + 20 + 30 = 60, the MQL threshold. */
const toMql = () => events('email_click', 'webinar_attended', 'demo_request');

describe('MQL hand-off', () => {
  it('keeps a lead in inquiry below the MQL threshold', () => {
    const { state } = scenario(v1, events('email_click', 'webinar_attended', 'email_open'));
    expect(state.score.total).toBe(35);
    expect(state.stage).toBe('inquiry');
  });

  it('moves a lead to MQL when the score reaches the threshold', () => {
    const { state, explanations } = scenario(v1, toMql());
    expect(state.score.total).toBe(60);
    expect(state.stage).toBe('mql');
    expect(explanations[2]!.stageChanges).toEqual([
      { from: 'inquiry', to: 'mql', transitionId: 'reached-mql-threshold', label: expect.any(String), trigger: 'demo_request' },
    ]);
  });

  it('counts fit points towards the threshold', () => {
    const { state } = scenario(v1, [
      ev('lead_updated', 0, { role: 'director', companySize: 500 }),
      ...events('email_click', 'webinar_attended', 'email_open', 'email_open', 'email_open'),
    ]);
    expect(state.score).toEqual({ total: 60, fit: 15, engagement: 45 });
    expect(state.stage).toBe('mql');
  });

  it('moves a nurtured lead back to MQL when it reaches the threshold again', () => {
    const rejected = scenario(v1, [...toMql(), ev('sales_rejected', 0.01, { reason: 'no budget' })]);
    expect(rejected.state.stage).toBe('nurture');
    const back = scenario(v1, [ev('demo_request', 1)], rejected.state);
    expect(back.state.stage).toBe('mql');
  });
});

describe('sales feedback', () => {
  it('moves MQL to SAL when sales accepts', () => {
    expect(scenario(v1, [...toMql(), ev('sales_accepted', 0.01)]).state.stage).toBe('sal');
  });

  it('recycles a rejected hand-off to nurture and records the reason', () => {
    const { state } = scenario(v1, [...toMql(), ev('sales_rejected', 0.01, { reason: 'no budget' })]);
    expect(state.stage).toBe('nurture');
    expect(state.stageHistory.at(-1)).toMatchObject({ from: 'mql', to: 'nurture', transitionId: 'sales-rejected', reason: 'no budget' });
  });

  it('moves SAL to SQL when sales qualifies an opportunity, and SQL to won', () => {
    const { state, stages } = scenario(v1, [
      ...toMql(),
      ev('sales_accepted', 1),
      ev('sales_qualified', 2),
      ev('deal_won', 3, { amount: 5000 }),
    ]);
    expect(stages).toEqual(['inquiry', 'mql', 'sal', 'sql', 'won']);
    expect(state.customer).toBe(true);
    expect(state.lastDealAt).toBe(state.asOf);
  });

  it('marks a lost deal and recycles it to nurture after the waiting period', () => {
    const lost = scenario(v1, [...toMql(), ev('sales_accepted', 1), ev('sales_qualified', 2), ev('deal_lost', 3, { reason: 'price' })]);
    expect(lost.state.stage).toBe('lost');
    expect(scenario(v1, [ev('tick', 32)], lost.state).state.stage).toBe('lost');
    expect(scenario(v1, [ev('tick', 33)], lost.state).state.stage).toBe('nurture');
  });

  it('ignores feedback that does not apply to the current stage', () => {
    const { state, explanations } = scenario(v1, [ev('email_open'), ev('sales_accepted', 0.1)]);
    expect(state.stage).toBe('inquiry');
    expect(explanations[1]!.stageChanges).toEqual([]);
  });
});

describe('disqualification', () => {
  it('disqualifies a lead with the reason given', () => {
    const { state } = scenario(v1, [...toMql(), ev('disqualified', 0.1, { reason: 'competitor' })]);
    expect(state.stage).toBe('disqualified');
    expect(state.disqualifiedReason).toBe('competitor');
    expect(state.stageHistory.at(-1)?.reason).toBe('competitor');
  });

  it('keeps a disqualified lead disqualified whatever it does next', () => {
    const { state } = scenario(v1, [
      ev('disqualified', 0, { reason: 'spam' }),
      ...Array.from({ length: 5 }, (_, i) => ev('demo_request', i + 1)),
    ]);
    expect(state.stage).toBe('disqualified');
    expect(state.score.engagement).toBeGreaterThan(60);
  });
});

describe('dormancy and reactivation', () => {
  it('puts a lead to sleep after the dormancy period without activity', () => {
    const start = scenario(v1, [ev('email_click', 0)]);
    expect(scenario(v1, [ev('tick', 89.9)], start.state).state.stage).toBe('inquiry');
    const { state } = scenario(v1, [ev('tick', 90)], start.state);
    expect(state.stage).toBe('dormant');
    expect(state.stageHistory.at(-1)?.transitionId).toBe('went-dormant');
  });

  it('applies the passage of time before the event, so a late click finds the lead dormant', () => {
    const { state, explanations } = scenario(v1, [ev('email_click', 0), ev('email_open', 120)]);
    expect(explanations[1]!.stageChanges.map((c) => c.to)).toEqual(['dormant']);
    expect(state.stage).toBe('dormant');
  });

  it('reactivates a dormant lead to nurture when engagement reaches the reactivation threshold', () => {
    const { state, transitions } = scenario(v1, [ev('email_open', 0), ev('tick', 100), ev('webinar_attended', 101)]);
    expect(transitions).toEqual(['went-dormant', 'reactivated-to-nurture']);
    expect(state.stage).toBe('nurture');
  });

  it('reactivates a dormant lead straight to MQL when one event lifts its score over the MQL threshold', () => {
    const lowerMql = ruleSet((json) => {
      json.lifecycle.thresholds.mql = 40;
    });
    const { state, transitions } = run(lowerMql, [
      ev('email_open', 0),
      ev('lead_updated', 1, { role: 'executive', companySize: 1000 }),
      ev('tick', 100),
      ev('demo_request', 101),
    ]);
    expect(transitions).toEqual(['went-dormant', 'reactivated-to-mql']);
    expect(state.stage).toBe('mql');
    exercised.add('reactivated-to-mql');
  });

  it('puts a customer to sleep when the last deal is older than the customer dormancy period', () => {
    const won = scenario(v1, [...toMql(), ev('sales_accepted', 1), ev('sales_qualified', 2), ev('deal_won', 10)]);
    expect(scenario(v1, [ev('tick', 374)], won.state).state.stage).toBe('won');
    const { state } = scenario(v1, [ev('tick', 375)], won.state);
    expect(state.stage).toBe('dormant');
    expect(state.stageHistory.at(-1)?.transitionId).toBe('customer-went-dormant');
  });

  it('takes a dormant customer who asks for a demo straight to SQL', () => {
    const { state, transitions } = scenario(v1, [
      ev('lead_updated', 0, { pastDeals: [{ closedAt: '2024-06-01T00:00:00Z', amount: 9000 }] }),
      ev('tick', 1),
      ev('tick', 95),
      ev('demo_request', 96),
    ]);
    expect(transitions).toEqual(['went-dormant', 'customer-inquiry']);
    expect(state.stage).toBe('sql');
  });
});

describe('existing customers', () => {
  it("enters an existing customer's inquiry at SQL, skipping MQL and SAL", () => {
    const { state, stages } = scenario(v1, [
      ev('lead_updated', 0, { pastDeals: [{ closedAt: '2025-11-01T00:00:00Z', amount: 12000 }] }),
      ev('contact_request', 0.01),
    ]);
    expect(stages).toEqual(['inquiry', 'sql']);
    expect(state.customer).toBe(true);
    expect(state.lastDealAt).toBe('2025-11-01T00:00:00.000Z');
  });

  it('treats `customer: true` as an existing customer', () => {
    expect(scenario(v1, [ev('lead_updated', 0, { customer: true }), ev('demo_request', 0.01)]).state.stage).toBe('sql');
  });

  it('opens a new opportunity when a won customer asks for a demo', () => {
    const won = scenario(v1, [...toMql(), ev('sales_accepted', 1), ev('sales_qualified', 2), ev('deal_won', 3)]);
    expect(scenario(v1, [ev('demo_request', 30)], won.state).state.stage).toBe('sql');
  });

  it('does not skip stages for a new lead that asks for a demo', () => {
    expect(scenario(v1, [ev('demo_request')]).state.stage).toBe('inquiry');
  });
});

describe('the XState machine', () => {
  it('has one state per stage and starts at inquiry', () => {
    const machine = v1.lifecycle.machine;
    expect(Object.keys(machine.states).sort()).toEqual([...STAGES].sort());
    expect(machine.config.initial).toBe('inquiry');
  });

  it('uses the rule set guards: the machine itself refuses a guarded transition whose condition is false', () => {
    const machine = v1.lifecycle.machine;
    const snapshot = machine.resolveState({ value: 'inquiry', context: {} });
    const data = (total: number) => ({ score: { total }, thresholds: { mql: 60 } });
    expect(machineTransition(machine, snapshot, { type: 'email_open', data: data(59) })[0].value).toBe('inquiry');
    expect(machineTransition(machine, snapshot, { type: 'email_open', data: data(60) })[0].value).toBe('mql');
  });

  it('follows a rule set whose thresholds differ', () => {
    const lower = ruleSet((json) => {
      json.lifecycle.thresholds.mql = 30;
    });
    expect(run(lower, events('email_click', 'webinar_attended')).state.stage).toBe('mql');
  });

  it('takes the first enabled transition in file order', () => {
    const json = v1Json();
    const rules = ruleSet((j) => {
      j.lifecycle.transitions.unshift({ ...json.lifecycle.transitions[1], id: 'straight-to-sal', to: 'sal', label: 'Fast lane' });
    });
    expect(run(rules, toMql()).state.stage).toBe('sal');
  });
});

afterAll(() => {
  // Every transition of the default rule set is exercised by a test above.
  const all = v1.definition.lifecycle.transitions.map((t) => t.id);
  expect(all.filter((id) => !exercised.has(id))).toEqual([]);
});
