import { describe, expect, it } from 'vitest';
import { diffRuleSets, type RuleSetDefinition } from '../../../engine/index';
import { createTranslator } from '../../../editor/src/lib/i18n/translate';
import { describeLogic } from '../../../editor/src/lib/logic/describe';
import { describeChange } from '../../../editor/src/lib/logic/diff-text';
import v1 from '../../../rules/v1.json';
import { ruleSet } from './fixtures';

const en = createTranslator('en');
const ja = createTranslator('ja');

const definition = (change?: (rules: any) => void): RuleSetDefinition => ruleSet('v1', change).definition;

const guard = (id: string) => v1.lifecycle.transitions.find((t) => t.id === id)!.when;

describe('guards in words', () => {
  it('says a threshold guard with the names of both sides', () => {
    expect(describeLogic(guard('reached-mql-threshold'), en)).toBe('Total score ≥ MQL threshold');
    expect(describeLogic(guard('reached-mql-threshold'), ja)).toBe('合計スコア ≥ MQL しきい値');
  });

  it('says a yes/no field on its own', () => {
    expect(describeLogic(guard('customer-inquiry'), en)).toBe('Existing customer');
  });

  it('names event-type counts after the event type', () => {
    expect(describeLogic({ '>=': [{ var: 'history.counts.site_visit' }, 2] }, en)).toBe('Number of “Site visit” events ≥ 2');
  });

  it('says "Always" for a transition without a guard', () => {
    expect(describeLogic(undefined, en)).toBe('Always');
    expect(describeLogic(undefined, ja)).toBe('常に');
  });
});

describe('version differences in words', () => {
  const texts = (a: RuleSetDefinition, b: RuleSetDefinition, t = en) => diffRuleSets(a, b).map((change) => describeChange(change, a, b, t));

  it('says a points change as the issue puts it, in both languages', () => {
    const a = definition();
    const b = definition((r) => (r.scoring.find((s: any) => s.id === 'webinar-attended').points = 25));
    expect(texts(a, b)).toEqual([{ section: 'scoring', text: 'Webinar attended: 20 → 25 points', before: '20', after: '25' }]);
    expect(texts(a, b, ja)[0]!.text).toBe('Webinar attended: 20 → 25 ポイント');
  });

  it('says a threshold change with the threshold name', () => {
    const a = definition((r) => (r.lifecycle.thresholds.mql = 50));
    const b = definition((r) => (r.lifecycle.thresholds.mql = 60));
    expect(texts(a, b)[0]!.text).toBe('MQL threshold: 50 → 60');
    expect(texts(a, b, ja)[0]!.text).toBe('MQL しきい値: 50 → 60');
  });

  it('says a changed condition in words on both sides', () => {
    const a = definition();
    const b = definition((r) => (r.routing.rules[1].when = { '>=': [{ var: 'score.total' }, 80] }));
    expect(texts(a, b)).toEqual([
      {
        section: 'routing',
        text: 'Hot lead: phone call: condition Band = Hot → Total score ≥ 80',
        before: 'Band = Hot',
        after: 'Total score ≥ 80',
      },
    ]);
  });

  it('says an added rule and a routing rule that moved', () => {
    const a = definition();
    const b = definition((r) => {
      r.scoring.push({ id: 'pricing-page', label: 'Pricing page visit', kind: 'engagement', on: ['site_visit'], points: 5 });
      r.routing.rules.reverse();
    });
    const lines = texts(a, b).map((c) => c.text);
    expect(lines).toContain('Scoring rule added: Pricing page visit');
    expect(lines).toContain(
      'Routing rule “Email for warm” moved from position 3 to 1'.replace(
        'Email for warm',
        'Warm lead: personal email from sales development',
      ),
    );
  });

  it('says turning decay off as "no decay"', () => {
    const a = definition();
    const b = definition((r) => (r.decay.halfLifeDays = null));
    expect(texts(a, b)[0]!.text).toBe('Decay half-life (days): 30 → no decay');
  });
});
