/** The KPIs marketing and sales share, as the dashboard and the challenger panel show them. */
import type { Rate } from '../api';
import type { I18n } from '../i18n/index.svelte';

export const SHARED_KPIS = [
  { key: 'dormantToOpportunity', label: 'dashboard.dormantToOpportunity', definition: 'dashboard.def.dormantToOpportunity' },
  { key: 'hotLeadConversion', label: 'dashboard.hotLeadConversion', definition: 'dashboard.def.hotLeadConversion' },
  { key: 'opportunityToClose', label: 'dashboard.opportunityToClose', definition: 'dashboard.def.opportunityToClose' },
] as const;

/** "converted of count" for a rate, in the chosen language. */
export function rateText(i18n: I18n, rate: Rate): string {
  return i18n.t('dashboard.ofCount', { converted: i18n.format.integer(rate.converted), count: i18n.format.integer(rate.count) });
}
