/**
 * Metrics of a replay: how well each version's hand-offs and scores match what
 * really happened, and how two versions differ lead by lead. Every function is
 * pure and deterministic: same replay, same numbers, same order.
 *
 * Labelled metrics (precision, recall, conversion rates, lift, AUC) use only
 * resolved leads, those whose outcome (won or lost) is known in the period,
 * and, when the report says so, open leads idle for long enough (counted as
 * not converted): any other open lead is neither a success nor a failure yet.
 * Every rate and AUC comes with its 95% interval and the count it rests on.
 */
import { parseTime } from './time';
import { KPI, kpiFlags, bandAt, countOpenAsLost, OUTCOME, replayColumns, type ReplayColumns } from './columns';
import { diffColumns, type VersionDiff } from './compare';
import type { LeadReplay, ReplayResult, VersionRecord } from './replay';
import { BANDS, STAGES, type Band, type Stage } from './schema';
import { MS_PER_DAY } from './scoring';
import { delongAuc, wilson, type Interval } from './stats';
import { reportNotes, type ReportNote } from './notes';

const MS_PER_WEEK = 7 * MS_PER_DAY;
const DECILES = 10;

/** `numerator / denominator`, or null when there is nothing to divide by. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/** Fewer leads than this under a rate or a bar, by default, and it is marked as resting on few leads. */
export const DEFAULT_MIN_SAMPLE = 30;

/** How a report labels and flags what it measures. */
export interface ReportOptions {
  /** Open leads idle for longer than this many days before the end of the period count as not converted; null: left out. */
  openAsLostAfterDays?: number | null;
  /** Fewer leads than this under a figure and it is marked small; default {@link DEFAULT_MIN_SAMPLE}. */
  minSample?: number;
}

/** A rate with what it was computed from, and its 95% interval (Wilson), so a reader can check it and weigh it. */
export interface Rate {
  numerator: number;
  denominator: number;
  rate: number | null;
  low: number | null;
  high: number | null;
}

function rate(numerator: number, denominator: number): Rate {
  const { low, high } = wilson(numerator, denominator);
  return { numerator, denominator, rate: ratio(numerator, denominator), low, high };
}

/** A lead as the labelled metrics see it: the judged score and band, whether it was handed over, whether it was won. */
export interface ScoredLead {
  score: number;
  band: Band;
  handedOff: boolean;
  won: boolean;
}

export interface Classification {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  /** Of the leads handed to sales, the share won. */
  precision: number | null;
  /** Of the leads won, the share handed to sales. */
  recall: number | null;
  /** Harmonic mean of precision and recall. */
  f1: number | null;
  /** 95% intervals (Wilson) of precision and recall. */
  precisionInterval: Interval;
  recallInterval: Interval;
}

/** Precision, recall and F1 of "handed to sales" as a prediction of "won". */
export function classification(leads: Iterable<Pick<ScoredLead, 'handedOff' | 'won'>>): Classification {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const { handedOff, won } of leads) {
    if (handedOff && won) tp++;
    else if (handedOff) fp++;
    else if (won) fn++;
    else tn++;
  }
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    trueNegatives: tn,
    ...precisionRecall(tp, fp, fn),
    precisionInterval: wilson(tp, tp + fp),
    recallInterval: wilson(tp, tp + fn),
  };
}

/** Precision, recall and F1 from counts of true positives, false positives and false negatives. */
export function precisionRecall(tp: number, fp: number, fn: number): Pick<Classification, 'precision' | 'recall' | 'f1'> {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 = ratio(2 * tp, 2 * tp + fp + fn);
  return { precision, recall, f1 };
}

/** Marks of a rate drawn from a count of leads: its 95% interval, and whether the count is under the minimum sample. */
interface Weighed {
  low: number | null;
  high: number | null;
  /** Drawn from fewer leads than the report's minimum sample. */
  small: boolean;
}

function weighed(conversions: number, leads: number, minSample: number): Weighed {
  return { ...wilson(conversions, leads), small: leads < minSample };
}

export interface BandConversion extends Weighed {
  band: Band;
  leads: number;
  conversions: number;
  rate: number | null;
}

/** Conversion rate of resolved leads by the band they were judged in, hot, warm, cold. */
export function bandConversion(leads: Iterable<Pick<ScoredLead, 'band' | 'won'>>, minSample = DEFAULT_MIN_SAMPLE): BandConversion[] {
  const counts = BANDS.map(() => ({ leads: 0, conversions: 0 }));
  for (const lead of leads) {
    const row = counts[BANDS.indexOf(lead.band)]!;
    row.leads++;
    if (lead.won) row.conversions++;
  }
  return BANDS.map((band, i) => {
    const { leads: n, conversions } = counts[i]!;
    return { band, leads: n, conversions, rate: ratio(conversions, n), ...weighed(conversions, n, minSample) };
  });
}

export interface LiftRow extends Weighed {
  /** 1 holds the highest scores. */
  decile: number;
  leads: number;
  conversions: number;
  rate: number | null;
  /** rate / base rate of all resolved leads. */
  lift: number | null;
  minScore: number | null;
  maxScore: number | null;
}

function byScoreDescending<T extends { score: number }>(leads: Iterable<T>): T[] {
  return [...leads].sort((a, b) => b.score - a.score);
}

/**
 * Lift table: resolved leads ranked by score, highest first, cut into ten
 * deciles of equal size. Leads with equal scores are never split: a group of
 * equal scores goes whole into the decile where it starts, so a decile may be
 * larger than a tenth, or empty, when many leads share a score.
 */
export function liftTable(leads: Iterable<Pick<ScoredLead, 'score' | 'won'>>, minSample = DEFAULT_MIN_SAMPLE): LiftRow[] {
  const ranked = byScoreDescending(leads);
  const rows: LiftRow[] = Array.from({ length: DECILES }, (_, i) => ({
    decile: i + 1,
    leads: 0,
    conversions: 0,
    rate: null,
    lift: null,
    minScore: null,
    maxScore: null,
    low: null,
    high: null,
    small: true,
  }));
  let row = rows[0]!;
  ranked.forEach((lead, position) => {
    if (position === 0 || lead.score !== ranked[position - 1]!.score) row = rows[Math.floor((DECILES * position) / ranked.length)]!;
    row.leads++;
    if (lead.won) row.conversions++;
    row.maxScore ??= lead.score;
    row.minScore = lead.score;
  });
  const baseRate = ratio(ranked.filter((lead) => lead.won).length, ranked.length);
  for (const r of rows) {
    r.rate = ratio(r.conversions, r.leads);
    r.lift = r.rate === null || !baseRate ? null : r.rate / baseRate;
    Object.assign(r, weighed(r.conversions, r.leads, minSample));
  }
  return rows;
}

export interface RocPoint {
  /** Leads scoring at least this are predicted positive; null for the curve's origin (nobody). */
  threshold: number | null;
  falsePositiveRate: number;
  truePositiveRate: number;
}

export interface Roc {
  /** Probability that a random won lead scores above a random lost one, ties counting half; null without both. */
  auc: number | null;
  /**
   * 95% interval of the AUC: DeLong's, widened to a Wilson interval over the
   * smaller class when that class is under the minimum sample or DeLong's
   * variance vanishes (classes perfectly separated), a certainty a handful
   * of leads cannot give.
   */
  interval: Interval;
  points: RocPoint[];
}

/**
 * ROC AUC by the Mann–Whitney formula with tied scores given their average
 * rank, and the ROC curve with one point per distinct score (highest first).
 */
export function roc(leads: Iterable<Pick<ScoredLead, 'score' | 'won'>>, minSample = DEFAULT_MIN_SAMPLE): Roc {
  const ranked = byScoreDescending(leads);
  const positives = ranked.filter((lead) => lead.won).length;
  const negatives = ranked.length - positives;
  if (positives === 0 || negatives === 0) return { auc: null, interval: { low: null, high: null }, points: [] };

  const points: RocPoint[] = [{ threshold: null, falsePositiveRate: 0, truePositiveRate: 0 }];
  // Ranks ascend from the lowest score; walking from the highest, a tie group at positions [start, end) has ranks n-end+1 … n-start.
  let rankSumOfPositives = 0;
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < ranked.length;) {
    let end = start;
    let groupPositives = 0;
    while (end < ranked.length && ranked[end]!.score === ranked[start]!.score) {
      if (ranked[end]!.won) groupPositives++;
      end++;
    }
    const averageRank = ranked.length - (start + end - 1) / 2;
    rankSumOfPositives += groupPositives * averageRank;
    tp += groupPositives;
    fp += end - start - groupPositives;
    points.push({ threshold: ranked[start]!.score, falsePositiveRate: fp / negatives, truePositiveRate: tp / positives });
    start = end;
  }
  const auc = (rankSumOfPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
  const { interval, variance } = delongAuc(
    ranked.map((lead) => lead.score),
    ranked.map((lead) => lead.won),
  );
  const smaller = Math.min(positives, negatives);
  if (variance === 0 || smaller < minSample) {
    const floor = wilson(auc * smaller, smaller);
    interval.low = Math.min(interval.low ?? 1, floor.low!);
    interval.high = Math.max(interval.high ?? 0, floor.high!);
  }
  return { auc, interval, points };
}

/** The middle value (the mean of the two middle values for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Midnight UTC of the Monday starting the ISO week that contains `time`. */
export function isoWeekStart(time: number): number {
  const days = Math.floor(time / MS_PER_DAY);
  // 1970-01-01 was a Thursday: three days after a Monday.
  const mondayBased = (((days + 3) % 7) + 7) % 7;
  return (days - mondayBased) * MS_PER_DAY;
}

/** ISO 8601 week label, e.g. "2024-W01" (the week with the year's first Thursday). */
export function isoWeek(time: number): string {
  const thursday = new Date(isoWeekStart(time) + 3 * MS_PER_DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / MS_PER_WEEK) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Monday starts of every ISO week of the period, from its first event (or `since`) to its end. */
export function periodWeeks(period: ReplayResult['period']): number[] {
  const from = period.since ?? period.firstEventAt;
  const to = period.until === null ? period.lastEventAt : new Date(Date.parse(period.until) - 1).toISOString();
  if (from === null || to === null) return [];
  const weeks: number[] = [];
  for (let week = isoWeekStart(Date.parse(from)); week <= Date.parse(to); week += MS_PER_WEEK) weeks.push(week);
  return weeks;
}

export interface Workload {
  weeks: Array<{ week: string; handOffs: number }>;
  meanPerWeek: number | null;
  peakPerWeek: number;
}

/** Hand-offs per ISO week over the given weeks (zeros included), with mean and peak; times are ISO 8601 or epoch ms. */
export function workload(handOffTimes: Iterable<string | number>, weeks: readonly number[]): Workload {
  const counts = new Map<number, number>(weeks.map((week) => [week, 0]));
  let total = 0;
  for (const at of handOffTimes) {
    const week = isoWeekStart(typeof at === 'number' ? at : parseTime(at));
    counts.set(week, (counts.get(week) ?? 0) + 1);
    total++;
  }
  const rows = [...counts.entries()].sort(([a], [b]) => a - b).map(([week, handOffs]) => ({ week: isoWeek(week), handOffs }));
  const peakPerWeek = rows.reduce((peak, row) => Math.max(peak, row.handOffs), 0);
  return { weeks: rows, meanPerWeek: ratio(total, rows.length), peakPerWeek };
}

export interface SeedKpis {
  /** Of leads that went dormant in the period, the share that later reached SQL (an opportunity) in the period. */
  dormantToOpportunity: Rate;
  /**
   * Of leads the version handed to sales while hot, the share actually won in
   * the period (open leads count as not won), as the live KPI counts it.
   */
  hotLeadConversion: Rate;
  /** Of leads that reached SQL in the period, the share that later reached won in the period (the version's own stages). */
  opportunityToClose: Rate;
}

/** Counts of the seed KPIs, lead by lead. */
class KpiTally {
  private dormant = 0;
  private dormantToSql = 0;
  private sql = 0;
  private sqlToWon = 0;
  private hot = 0;
  private hotWon = 0;

  /** A lead's {@link KPI} flags, whether the version handed it over while hot, and whether it was won. */
  add(flags: number, hotHandOff: boolean, won: boolean): void {
    if (flags & KPI.dormant) this.dormant++;
    if (flags & KPI.dormantToSql) this.dormantToSql++;
    if (flags & KPI.sql) this.sql++;
    if (flags & KPI.sqlToWon) this.sqlToWon++;
    if (hotHandOff) {
      this.hot++;
      if (won) this.hotWon++;
    }
  }

  kpis(): SeedKpis {
    return {
      dormantToOpportunity: rate(this.dormantToSql, this.dormant),
      hotLeadConversion: rate(this.hotWon, this.hot),
      opportunityToClose: rate(this.sqlToWon, this.sql),
    };
  }
}

/** The seed KPIs of one version; each is defined in {@link SeedKpis}. */
export function seedKpis(records: ReadonlyArray<{ record: VersionRecord; lead: LeadReplay }>): SeedKpis {
  const tally = new KpiTally();
  for (const { record, lead } of records) {
    tally.add(kpiFlags(record.stageHistory), record.handOff?.band === 'hot', lead.outcome?.result === 'won');
  }
  return tally.kpis();
}

export interface VersionMetrics {
  version: string;
  /**
   * Leads first seen in the period; resolved = won + lost + openCountedAsLost
   * (open leads idle past the report's `openAsLostAfterDays`); open = the
   * other leads without an outcome, left out of every labelled metric.
   */
  leads: { total: number; resolved: number; won: number; lost: number; openCountedAsLost: number; open: number };
  /** Leads whose history enters each stage at least once in the period. */
  stages: Record<Stage, number>;
  handOffs: number;
  classification: Classification;
  baseRate: number | null;
  baseRateInterval: Interval;
  bands: BandConversion[];
  lift: LiftRow[];
  roc: Roc;
  /** Median days from a lead's first event to its hand-off, over leads handed over. */
  medianDaysToHandOff: number | null;
  kpis: SeedKpis;
  workload: Workload;
}

/** Every metric of one version of a replay. */
export function versionMetrics(result: ReplayResult, index: number, options: ReportOptions = {}): VersionMetrics {
  return columnMetrics(countOpenAsLost(replayColumns(result, [index]), options.openAsLostAfterDays ?? null), 0, options);
}

/**
 * Every metric of the version at `index` of a replay's columns, whose open
 * leads are already labelled as the report counts them ({@link countOpenAsLost}).
 * Without any lost lead, precision (and F1) are unknown rather than 100%: every
 * hand-off would count as right only because nothing could be wrong.
 */
export function columnMetrics(columns: ReplayColumns, index: number, options: ReportOptions = {}): VersionMetrics {
  const minSample = options.minSample ?? DEFAULT_MIN_SAMPLE;
  const v = columns.versions[index];
  if (v === undefined) throw new RangeError(`no version at index ${index} (columns hold ${columns.versions.length})`);
  const { firstTouch, outcome } = columns.leads;
  const total = outcome.length;
  const stages = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  const reachedCounts = STAGES.map(() => 0);
  const scored: ScoredLead[] = [];
  const handOffTimes: number[] = [];
  const daysToHandOff: number[] = [];
  const kpis = new KpiTally();
  const hot = BANDS.indexOf('hot');
  let won = 0;
  let openAsLost = 0;
  for (let i = 0; i < total; i++) {
    const reached = v.reached[i]!;
    for (let s = 0; reached >> s; s++) if ((reached >> s) & 1) reachedCounts[s]!++;
    const handedOff = !Number.isNaN(v.handOffAt[i]!);
    const isWon = outcome[i] === OUTCOME.won;
    if (outcome[i] !== OUTCOME.open) {
      if (isWon) won++;
      if (outcome[i] === OUTCOME.openAsLost) openAsLost++;
      scored.push({ score: v.score[i]!, band: bandAt(v, i), handedOff, won: isWon });
    }
    if (handedOff) {
      handOffTimes.push(v.handOffAt[i]!);
      daysToHandOff.push((v.handOffAt[i]! - firstTouch[i]!) / MS_PER_DAY);
    }
    kpis.add(v.kpis[i]!, handedOff && v.handOffBand[i] === hot, isWon);
  }
  STAGES.forEach((stage, s) => (stages[stage] = reachedCounts[s]!));
  const judged = classification(scored);
  if (won === scored.length) Object.assign(judged, { precision: null, f1: null, precisionInterval: { low: null, high: null } });

  return {
    version: v.version,
    leads: {
      total,
      resolved: scored.length,
      won,
      lost: scored.length - won - openAsLost,
      openCountedAsLost: openAsLost,
      open: total - scored.length,
    },
    stages,
    handOffs: handOffTimes.length,
    classification: judged,
    baseRate: ratio(won, scored.length),
    baseRateInterval: wilson(won, scored.length),
    bands: bandConversion(scored, minSample),
    lift: liftTable(scored, minSample),
    roc: roc(scored, minSample),
    medianDaysToHandOff: median(daysToHandOff),
    kpis: kpis.kpis(),
    workload: workload(handOffTimes, periodWeeks(columns.period)),
  };
}

export interface ReplayReport {
  period: ReplayResult['period'];
  /** How leads were judged and counted. */
  options: { horizonDays: number; openAsLostAfterDays: number | null; minSample: number };
  events: ReplayResult['events'];
  versions: VersionMetrics[];
  /** Each later version against the first (the baseline), with a verdict per measure. */
  diffs: VersionDiff[];
  /** What a reader must know to weigh the figures: open leads, missing outcomes, small samples, AUCs below chance. */
  notes: ReportNote[];
}

/** The options a report states, defaults filled in. */
export function reportOptions(columns: Pick<ReplayColumns, 'horizonDays'>, options: ReportOptions = {}): ReplayReport['options'] {
  return {
    horizonDays: columns.horizonDays,
    openAsLostAfterDays: options.openAsLostAfterDays ?? null,
    minSample: options.minSample ?? DEFAULT_MIN_SAMPLE,
  };
}

/** The whole comparison of a replay: every version's metrics, each version against the first, and the notes on them. */
export function replayReport(result: ReplayResult, options: ReportOptions = {}): ReplayReport {
  const columns = countOpenAsLost(replayColumns(result), options.openAsLostAfterDays ?? null);
  const versions = columns.versions.map((_, i) => columnMetrics(columns, i, options));
  const stated = reportOptions(columns, options);
  return {
    period: result.period,
    options: stated,
    events: result.events,
    versions,
    diffs: columns.versions.slice(1).map((to) => diffColumns(columns.leads, columns.versions[0]!, to)),
    notes: reportNotes(versions, stated),
  };
}
