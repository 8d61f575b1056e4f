/**
 * Lifecycle KPIs over a period, computed from stored stage changes and sales
 * outcomes. Each figure's definition travels with the reply, so a dashboard
 * can show what it measures.
 */
import { STAGES, type Stage } from '../engine/index';
import type { OutcomeRecord, StageChangeRecord } from './store/index';

export interface Period {
  from: string;
  to: string;
}

export interface Rate {
  count: number;
  converted: number;
  /** converted / count, null when count is 0. */
  rate: number | null;
}

const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;
/** Stage pairs of the demand waterfall whose conversion is reported. */
const FUNNEL_STEPS: ReadonlyArray<readonly [Stage, Stage]> = [
  ['inquiry', 'mql'],
  ['mql', 'sal'],
  ['sal', 'sql'],
  ['sql', 'won'],
];

export const KPI_DEFINITIONS = {
  funnel: 'Leads that entered each stage during the period.',
  conversion: 'Of the leads that entered the first stage during the period, those that later entered the second (before the period ends).',
  dormantToOpportunity:
    'Of the leads that were dormant at some time during the period, those that reached SQL after going dormant, before the period ends.',
  hotLeadConversion: 'Of the leads handed to sales (MQL) during the period while hot, those that were won before the period ends.',
  opportunityToClose: 'Of the leads that became opportunities (SQL) during the period, those that were won before the period ends.',
  medianDaysInStage: 'Median days between entering and leaving a stage, over stays that ended during the period.',
  followUp: 'Hours from hand-off (entering MQL during the period) to the first accept or reject by sales before the next hand-off.',
} as const;

function rate(count: number, converted: number): Rate {
  return { count, converted, rate: count === 0 ? null : Math.round((converted / count) * 10_000) / 10_000 };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return Math.round(value * 100) / 100;
}

function groupByLead<T extends { leadId: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(item.leadId);
    if (list) list.push(item);
    else groups.set(item.leadId, [item]);
  }
  return groups;
}

/**
 * Computes the KPIs of a period from every stage change and outcome before its
 * end (each lead's changes in history order).
 */
export function computeKpis(changes: readonly StageChangeRecord[], outcomes: readonly OutcomeRecord[], period: Period) {
  const inPeriod = (at: string) => at >= period.from && at < period.to;
  const histories = groupByLead(changes);
  const feedbackByLead = groupByLead(outcomes.filter((o) => o.kind === 'accepted' || o.kind === 'rejected'));

  const entered = Object.fromEntries(STAGES.map((s) => [s, new Set<string>()])) as Record<Stage, Set<string>>;
  const conversion = new Map(FUNNEL_STEPS.map(([a, b]) => [`${a}->${b}`, { count: 0, converted: 0 }]));
  const stays = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<Stage, number[]>;
  const dormant = { count: 0, converted: 0 };
  const hot = { count: 0, converted: 0 };
  const followUpHours: number[] = [];
  let handOffs = 0;

  for (const [leadId, history] of histories) {
    const enteredAt = (stage: Stage, after: string) => history.find((c) => c.to === stage && c.at >= after)?.at;
    const countedSteps = new Set<string>();
    history.forEach((change, i) => {
      const stage = change.to as Stage;
      if (inPeriod(change.at)) entered[stage]?.add(leadId);
      const next = history[i + 1];
      if (next && inPeriod(next.at)) stays[stage]?.push((Date.parse(next.at) - Date.parse(change.at)) / MS_PER_DAY);
      if (!inPeriod(change.at)) return;
      for (const [a, b] of FUNNEL_STEPS) {
        const key = `${a}->${b}`;
        if (stage !== a || countedSteps.has(key)) continue;
        countedSteps.add(key);
        const step = conversion.get(key)!;
        step.count += 1;
        if (history.slice(i + 1).some((c) => c.to === b)) step.converted += 1;
      }
      if (stage === 'mql') {
        handOffs += 1;
        if (change.band === 'hot' && !countedSteps.has('hot')) {
          countedSteps.add('hot');
          hot.count += 1;
          if (history.slice(i + 1).some((c) => c.to === 'won')) hot.converted += 1;
        }
        // An answer after the lead's next hand-off answers that one, not this.
        const nextHandOff = history.slice(i + 1).find((c) => c.to === 'mql')?.at;
        const feedback = feedbackByLead
          .get(leadId)
          ?.find((o) => o.occurredAt >= change.at && (nextHandOff === undefined || o.occurredAt < nextHandOff));
        if (feedback) followUpHours.push((Date.parse(feedback.occurredAt) - Date.parse(change.at)) / MS_PER_HOUR);
      }
    });
    // Dormant during the period: went dormant before its end and had not left before its start.
    const dormancy = history.findIndex(
      (c, i) => c.to === 'dormant' && c.at < period.to && (history[i + 1]?.at ?? period.to) >= period.from,
    );
    if (dormancy >= 0) {
      dormant.count += 1;
      const opportunity = enteredAt('sql', history[dormancy]!.at);
      if (opportunity !== undefined && inPeriod(opportunity)) dormant.converted += 1;
    }
  }

  return {
    period,
    funnel: Object.fromEntries(STAGES.map((s) => [s, entered[s].size])),
    conversion: Object.fromEntries([...conversion].map(([key, v]) => [key, rate(v.count, v.converted)])),
    dormantToOpportunity: rate(dormant.count, dormant.converted),
    hotLeadConversion: rate(hot.count, hot.converted),
    opportunityToClose: rate(conversion.get('sql->won')!.count, conversion.get('sql->won')!.converted),
    medianDaysInStage: Object.fromEntries(STAGES.map((s) => [s, median(stays[s])])),
    followUp: { handOffs, followedUp: followUpHours.length, medianHours: median(followUpHours) },
    definitions: KPI_DEFINITIONS,
  };
}
