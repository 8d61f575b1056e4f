/**
 * The challenger's KPIs: the same figures as the active version's, computed
 * from the stage histories the challenger built in shadow, beside the live
 * figures of the same leads. The challenger only covers the leads it has
 * evaluated (a lead older than the challenger gets a shadow state when its
 * next event arrives), so comparing it with every live lead would mix
 * populations; both columns here count the same leads, with the same outcomes.
 */
import type { Activation } from './activation';
import { computeKpis, type Period } from './kpis';
import type { Store } from './store/index';

export type Kpis = ReturnType<typeof computeKpis>;

export interface ChallengerKpis {
  /** The challenger's version; null when none is set (then every figure is null). */
  version: string | null;
  activeVersion: string;
  period: Period;
  /** Leads with a challenger state: the leads both columns count. */
  leadsEvaluated: number;
  /** Every stored lead, for scale. */
  leadsTotal: number;
  /** The figures from the challenger's stage histories. */
  challenger: Kpis | null;
  /** The figures from the stored live stage histories of the same leads. */
  active: Kpis | null;
}

/** Computes the challenger's KPIs over a period beside the live KPIs of the leads it has evaluated. */
export async function challengerKpis(store: Store, activation: Activation, period: Period): Promise<ChallengerKpis> {
  const version = activation.challenger?.version ?? null;
  const activeVersion = activation.active.version;
  const leadsTotal = await store.read.countLeads();
  if (version === null) return { version, activeVersion, period, leadsEvaluated: 0, leadsTotal, challenger: null, active: null };
  const [histories, outcomes] = await Promise.all([
    store.shadow.stageHistories(version, period.to),
    store.read.outcomes({ until: period.to }),
  ]);
  return {
    version,
    activeVersion,
    period,
    leadsEvaluated: histories.leadIds.length,
    leadsTotal,
    challenger: computeKpis(histories.challenger, outcomes, period),
    active: computeKpis(histories.live, outcomes, period),
  };
}
