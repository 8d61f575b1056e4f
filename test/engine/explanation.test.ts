import { describe, expect, it } from 'vitest';
import { ev, run, ruleSet } from './fixtures';

const v1 = ruleSet();

describe('explanations', () => {
  it('says which rules fired, the points each gave, what decay removed and why the stage changed', () => {
    const { explanations } = run(v1, [
      ev('lead_updated', 0, { role: 'director' }),
      ev('webinar_attended', 0.1),
      ev('demo_request', 30),
      ev('contact_request', 30.1),
    ]);
    const last = explanations[3]!;
    expect(explanations[2]!.decay).toEqual({ days: 29, before: 20, after: 10.23, removed: 9.77 });
    expect(last).toEqual({
      eventId: expect.any(String),
      eventType: 'contact_request',
      at: '2026-01-31T02:24:00.000Z',
      ruleSetVersion: 'v1',
      decay: null,
      rules: [{ ruleId: 'contact-or-demo-request', label: 'Contact or demo request', kind: 'engagement', points: 30 }],
      score: { before: { total: 50.23, fit: 10, engagement: 40.23 }, after: { total: 80.23, fit: 10, engagement: 70.23 } },
      band: { before: 'warm', after: 'hot' },
      stageChanges: [
        {
          from: 'inquiry',
          to: 'mql',
          transitionId: 'reached-mql-threshold',
          label: 'Score reaches the MQL (hand-off) threshold',
          trigger: 'contact_request',
        },
      ],
      route: { ruleId: 'meeting-after-demo-or-question', queue: 'account-executives', approach: 'meeting' },
      notes: [],
    });
  });

  it('has no band before for a new lead', () => {
    expect(run(v1, [ev('email_open')]).explanations[0]!.band).toEqual({ before: null, after: 'cold' });
  });

  it('names the transition and the reason in the stage history', () => {
    const { state } = run(v1, [ev('demo_request', 0), ev('contact_request', 0.1), ev('disqualified', 0.2, { reason: 'student' })]);
    expect(state.stageHistory.map(({ to, transitionId, reason }) => ({ to, transitionId, reason }))).toEqual([
      { to: 'inquiry', transitionId: null, reason: undefined },
      { to: 'mql', transitionId: 'reached-mql-threshold', reason: undefined },
      { to: 'disqualified', transitionId: 'disqualified', reason: 'student' },
    ]);
  });
});
