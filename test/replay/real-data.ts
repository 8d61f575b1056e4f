/**
 * The real data sets of ../shared/data, adapted and ordered for replay, and the
 * default rule set. Shared by the real-data test and the headline script.
 */
import { readFileSync } from 'node:fs';
import { loadRuleSetOrThrow, type CompiledRuleSet, type LeadEvent } from '../../engine/index';
import { readBankMarketing } from '../../server/import/bank-marketing';
import { collect, historyOf } from '../../server/import/format';
import { readXEducation } from '../../server/import/x-education';

const DATA = new URL('../../../shared/data/', import.meta.url);

export const DATA_SETS = {
  'x-education': () => readXEducation(readFileSync(new URL('x-education/Leads.csv', DATA), 'utf8')),
  'bank-marketing': () => readBankMarketing(readFileSync(new URL('bank-marketing/bank-additional-full.csv', DATA), 'utf8')),
} as const;

/** A data set's whole history in time order. */
export function realHistory(name: keyof typeof DATA_SETS): LeadEvent[] {
  const { values, rejected } = collect(DATA_SETS[name]());
  if (rejected.length > 0) throw new Error(`${name}: ${rejected.length} rows rejected, first: ${JSON.stringify(rejected[0])}`);
  return historyOf(values);
}

export function defaultRuleSet(): CompiledRuleSet {
  return loadRuleSetOrThrow(readFileSync(new URL('../../rules/v1.json', import.meta.url), 'utf8'));
}
