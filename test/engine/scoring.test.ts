import { describe, expect, it } from 'vitest';
import { handOffSummary } from '../../engine/index';
import { ev, events, run, ruleSet } from './fixtures';

const v1 = ruleSet();

describe('reference points', () => {
  it.each([
    ['email_open', 5],
    ['email_click', 10],
    ['document_download', 15],
    ['webinar_attended', 20],
    ['contact_request', 30],
    ['demo_request', 30],
    ['email_unsubscribe', -20],
  ])('gives %s %i points', (type, points) => {
    const { state, explanations } = run(v1, events(type));
    expect(state.score.engagement).toBe(points);
    expect(explanations[0]!.rules.map((r) => r.points)).toEqual([points]);
  });

  it('gives repeated site visits 25 points from the second visit on', () => {
    const { explanations, state } = run(v1, events('site_visit', 'site_visit', 'site_visit'));
    expect(explanations.map((e) => e.rules.reduce((sum, r) => sum + r.points, 0))).toEqual([0, 25, 25]);
    expect(state.score.engagement).toBe(50);
  });

  it('notes an activity type that no rule scores', () => {
    const { explanations } = run(v1, events('chat_conversation'));
    expect(explanations[0]!.rules).toEqual([]);
    expect(explanations[0]!.notes).toEqual(['no scoring rule applies to "chat_conversation"']);
  });
});

describe('caps', () => {
  it('stops giving points after maxTimes and says so', () => {
    const { explanations, state } = run(v1, events(...Array(6).fill('site_visit')));
    expect(state.score.engagement).toBe(75);
    expect(state.rules['repeated-site-visit']).toEqual({ times: 5, points: 75 });
    expect(explanations[4]!.rules[0]).toMatchObject({ points: 0, capped: { maxTimes: 3, wouldHaveGiven: 25 } });
  });

  it('gives at most maxPoints in total, the last award trimmed to fit', () => {
    const capped = ruleSet((json) => {
      json.scoring[0].caps = { maxPoints: 12 };
    });
    const { explanations, state } = run(capped, events('email_open', 'email_open', 'email_open', 'email_open'));
    expect(explanations.map((e) => e.rules[0]!.points)).toEqual([5, 5, 2, 0]);
    expect(state.score.engagement).toBe(12);
    expect(explanations[2]!.rules[0]!.capped).toEqual({ maxPoints: 12, wouldHaveGiven: 5 });
  });
});

describe('negative points', () => {
  it('lowers the score and can take it below zero', () => {
    expect(run(v1, events('email_open', 'email_unsubscribe')).state.score.engagement).toBe(-15);
  });
});

describe('decay', () => {
  it('halves engagement after one half-life without activity', () => {
    const { state, explanations } = run(v1, [ev('document_download', 0), ev('email_click', 30)]);
    expect(explanations[1]!.decay).toEqual({ days: 30, before: 15, after: 7.5, removed: 7.5 });
    expect(state.score.engagement).toBe(17.5);
  });

  it('quarters it after two half-lives, rounding to 2 decimals', () => {
    expect(run(v1, [ev('document_download', 0), ev('tick', 60)]).state.score.engagement).toBe(3.75);
    expect(run(v1, [ev('email_click', 0), ev('tick', 7)]).state.score.engagement).toBe(8.51); // 10 × 0.5^(7/30)
  });

  it('counts only whole days of inactivity', () => {
    expect(run(v1, [ev('email_click', 0), ev('email_open', 0.99)]).state.score.engagement).toBe(15);
  });

  it('is not reset by system events', () => {
    const withTicks = run(v1, [ev('email_click', 0), ev('tick', 10), ev('sales_accepted', 20), ev('tick', 30)]);
    expect(withTicks.state.score.engagement).toBe(5);
  });

  it('never decays fit', () => {
    const { state } = run(v1, [ev('lead_updated', 0, { role: 'manager' }), ev('tick', 300)]);
    expect(state.score.fit).toBe(10);
  });

  it('is off when the half-life is null', () => {
    const noDecay = ruleSet((json) => {
      json.decay.halfLifeDays = null;
    });
    expect(run(noDecay, [ev('email_click', 0), ev('tick', 300)]).state.score.engagement).toBe(10);
  });

  it('computes the score as of the latest event, whatever the order of evaluation calls', () => {
    const a = run(v1, [ev('email_click', 0), ev('tick', 45)]).state.score;
    const b = run(v1, [ev('email_click', 0), ev('tick', 15), ev('tick', 30), ev('tick', 45)]).state.score;
    expect(a).toEqual(b);
  });
});

describe('fit', () => {
  it('scores who the lead is apart from what it does', () => {
    const { state, explanations } = run(v1, [ev('lead_updated', 0, { role: 'executive', companySize: 120 }), ev('email_open', 0.1)]);
    expect(state.score).toEqual({ total: 20, fit: 15, engagement: 5 });
    expect(explanations[0]!.rules.map((r) => [r.ruleId, r.kind, r.points])).toEqual([
      ['decision-maker', 'fit', 10],
      ['mid-size-or-larger', 'fit', 5],
    ]);
  });

  it('is recomputed when attributes change', () => {
    const { state } = run(v1, [ev('lead_updated', 0, { role: 'executive', companySize: 120 }), ev('lead_updated', 1, { role: 'student' })]);
    expect(state.score.fit).toBe(5);
    expect(state.attributes).toEqual({ role: 'student', companySize: 120 });
  });
});

describe('bands', () => {
  it.each([
    [['email_open'], 'cold'],
    [['email_click', 'document_download', 'email_open'], 'warm'],
    [['demo_request', 'webinar_attended', 'email_click'], 'hot'],
  ])('classifies %j as %s', (types, band) => {
    expect(run(v1, events(...types)).state.band).toBe(band);
  });

  it('puts a score exactly at a threshold in the higher band', () => {
    expect(run(v1, events('demo_request')).state.band).toBe('warm');
  });
});

describe('routing', () => {
  it('sends cold leads to the marketing email nurture', () => {
    expect(run(v1, events('email_open')).state.route).toEqual({ ruleId: 'email-for-cold', queue: 'marketing-nurture', approach: 'email' });
  });

  it('calls hot leads', () => {
    expect(run(v1, events('contact_request', 'webinar_attended', 'email_click')).state.route).toMatchObject({
      ruleId: 'phone-for-hot',
      approach: 'phone',
    });
  });

  it('offers an online meeting after a demo request, even to a hot lead', () => {
    expect(run(v1, events('demo_request', 'webinar_attended', 'email_click')).state.route).toMatchObject({
      approach: 'meeting',
      queue: 'account-executives',
    });
  });

  it('offers an online meeting after a question in a webinar', () => {
    const { state } = run(v1, [ev('webinar_attended', 0, { title: 'Scoring 101', question: 'Does decay apply to fit?' })]);
    expect(state.route.approach).toBe('meeting');
  });
});

describe('hand-off summary', () => {
  it('gives sales the basic info, past deals, recent activity, webinars, interest and approach', () => {
    const pastDeals = [{ closedAt: '2025-05-01T00:00:00Z', amount: 8000 }];
    const { state } = run(v1, [
      ev('lead_updated', 0, { name: 'Ana', company: 'Northwind', pastDeals }),
      ev('webinar_attended', 0.1, { title: 'Scoring 101' }),
      ev('email_click', 0.2),
      ev('demo_request', 0.3),
    ]);
    const summary = handOffSummary(state);
    expect(summary.basicInfo).toEqual({ name: 'Ana', company: 'Northwind' });
    expect(summary.pastDeals).toEqual(pastDeals);
    expect(summary.recentActivity.map((a) => [a.type, a.points])).toEqual([
      ['demo_request', 30],
      ['email_click', 10],
      ['webinar_attended', 20],
    ]);
    expect(summary.webinars).toEqual([expect.objectContaining({ title: 'Scoring 101' })]);
    expect(summary.interestLevel).toBe('high');
    expect(summary.recommendedApproach).toBe('meeting');
    expect(summary.customer).toBe(true);
  });

  it('keeps only the configured number of recent activities', () => {
    const { state } = run(v1, events(...Array(15).fill('email_open')));
    expect(state.recentActivity).toHaveLength(10);
  });
});
