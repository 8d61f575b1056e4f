import { describe, expect, it } from 'vitest';
import type { RuleSetDefinition } from '../../../editor/src/lib/api';
import { createTranslator } from '../../../editor/src/lib/i18n/translate';
import { attributesRead, checkLogic, checkRuleSet, describeCheck, fieldContext } from '../../../editor/src/lib/logic/check';
import { fieldCatalogue } from '../../../editor/src/lib/logic/fields';
import { problemMessage } from '../../../editor/src/lib/logic/problems';
import v1 from '../../../rules/v1.json';

const en = createTranslator('en');
const rules = v1 as unknown as RuleSetDefinition;
const context = (attributes: Parameters<typeof fieldCatalogue>[2] = []) => fieldContext(fieldCatalogue(en, rules.eventTypes, attributes));
const compare = (field: string, operator: string, value: unknown) => ({ [operator]: [{ var: field }, value] });

describe('condition checks', () => {
  it('find nothing wrong in the default rule set', () => {
    expect(checkRuleSet(rules, context())).toEqual([]);
  });

  it('offer the known field a misspelled one meant', () => {
    expect(checkLogic(compare('lead.attributes.companySise', '>', 50), context())).toEqual([
      { kind: 'unknownField', field: 'lead.attributes.companySise', suggestion: 'lead.attributes.companySize' },
    ]);
    expect(checkLogic(compare('score.totl', '>=', 50), context())).toEqual([
      { kind: 'unknownField', field: 'score.totl', suggestion: 'score.total' },
    ]);
  });

  it('refuse a path with an empty part or an unknown root, and take any event property and a new attribute', () => {
    expect(checkLogic({ var: 'score.' }, context())).toMatchObject([{ kind: 'unknownField', field: 'score.' }]);
    expect(checkLogic({ var: 'leads.stage' }, context())).toMatchObject([{ kind: 'unknownField', suggestion: 'lead.stage' }]);
    expect(checkLogic({ var: 'event.properties.campaign' }, context())).toEqual([]);
    expect(checkLogic({ var: 'lead.attributes.fiscalYearEnd' }, context())).toEqual([]);
  });

  it('check against the attributes stored leads have, with their types', () => {
    const known = context([{ name: 'annualRevenue', type: 'number' }]);
    expect(checkLogic(compare('lead.attributes.anualRevenue', '>', 5), known)).toMatchObject([
      { kind: 'unknownField', suggestion: 'lead.attributes.annualRevenue' },
    ]);
    expect(checkLogic(compare('lead.attributes.annualRevenue', '==', ''), known)).toEqual([
      { kind: 'notANumber', field: 'lead.attributes.annualRevenue' },
    ]);
  });

  it('want a number for a number field, and no empty text for an ordering', () => {
    expect(checkLogic(compare('lead.attributes.companySize', '>', ''), context())).toEqual([
      { kind: 'notANumber', field: 'lead.attributes.companySize' },
    ]);
    expect(checkLogic(compare('history.counts.site_visit', '>=', '2'), context())).toMatchObject([{ kind: 'notANumber' }]);
    expect(checkLogic(compare('lead.attributes.industry', '==', 'retail'), context())).toEqual([]);
    expect(checkLogic(compare('history.lastActivityAt', '<', '2026-01-01'), context())).toEqual([]);
  });

  it('say a mistake in words, with the suggestion’s name', () => {
    const [check] = checkLogic(compare('lead.attributes.companySise', '>', 50), context());
    expect(describeCheck(check!, en)).toBe(
      '“lead.attributes.companySise” is not a field rules can read. Did you mean Company size (employees)?',
    );
  });

  it('list the attributes a rule set reads', () => {
    expect(attributesRead(rules).sort()).toEqual(['companySize', 'role']);
  });
});

describe('server problems in words', () => {
  it('turn the validator’s messages into sentences and leave the rest as written', () => {
    expect(problemMessage({ path: 'scoring[9].on', message: 'Too small: expected array to have >=1 items' }, en)).toBe(
      'Choose at least one event type.',
    );
    expect(problemMessage({ path: 'scoring[3].points', message: 'Too big: expected number to be <=1000' }, en)).toBe(
      'Must be at most 1000.',
    );
    expect(problemMessage({ path: 'bands.warm', message: 'thresholds out of order' }, en)).toBe('thresholds out of order');
  });
});
