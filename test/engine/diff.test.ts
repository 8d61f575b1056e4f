import { describe, expect, it } from 'vitest';
import { diffRuleSets } from '../../engine/index';
import { ruleSet, v1Json } from './fixtures';

const v1 = ruleSet();
const texts = (change: (json: Record<string, any>) => void) => diffRuleSets(v1.definition, ruleSet(change).definition).map((c) => c.text);

describe('rule set diff', () => {
  it('finds nothing between a rule set and itself, metadata aside', () => {
    expect(texts((j) => Object.assign(j, { version: 'v2', parent: 'v1', note: 'same rules', author: 'someone else' }))).toEqual([]);
  });

  it('says how points changed', () => {
    expect(texts((j) => (j.scoring[3].points = 25))).toEqual(['Webinar attended: 20 → 25 points']);
  });

  it('says how thresholds changed', () => {
    expect(
      texts((j) => {
        j.lifecycle.thresholds.mql = 70;
        j.bands.hot = 70;
        j.decay.halfLifeDays = 45;
      }),
    ).toEqual(['Decay half-life (days): 30 → 45', 'Hot threshold: 60 → 70', 'MQL threshold: 60 → 70']);
  });

  it('says how a limit changed', () => {
    expect(texts((j) => (j.scoring[0].caps = { maxTimes: 5 }))).toEqual(['Email opened: limit none → at most 5 times']);
    expect(texts((j) => (j.scoring[4].caps = { maxTimes: 2, maxPoints: 40 }))).toEqual([
      'Repeated site visit (2nd visit on, up to 3 times): limit at most 3 times → at most 2 times, 40 points',
    ]);
  });

  it('lists added and removed rules', () => {
    const extra = { id: 'pricing-page', label: 'Pricing page visit', kind: 'engagement', on: ['site_visit'], points: 10 };
    expect(
      texts((j) => {
        j.scoring = j.scoring.filter((r: { id: string }) => r.id !== 'unsubscribed');
        j.scoring.push(extra);
      }),
    ).toEqual(['Scoring rule removed: Unsubscribed from emails', 'Scoring rule added: Pricing page visit']);
  });

  it('describes a changed condition and a reordered routing rule', () => {
    const json = v1Json();
    const changes = diffRuleSets(
      v1.definition,
      ruleSet((j) => {
        j.scoring[4].when = { '>=': [{ var: 'history.counts.site_visit' }, 3] };
        j.routing.rules = [json.routing.rules[1], json.routing.rules[0], json.routing.rules[2]];
      }).definition,
    );
    expect(changes.map((c) => [c.section, c.kind, c.id])).toEqual([
      ['scoring', 'changed', 'repeated-site-visit'],
      ['routing', 'moved', 'phone-for-hot'],
      ['routing', 'moved', 'meeting-after-demo-or-question'],
    ]);
    expect(changes[0]!.text).toBe('Repeated site visit (2nd visit on, up to 3 times): condition changed');
  });
});
