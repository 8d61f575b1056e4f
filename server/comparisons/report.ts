/**
 * What a comparison of rule-set versions answers with: the replay report
 * (every version's metrics, each later version against the first) and, per
 * version, the threshold what-if curve, so a slider can read any threshold
 * without running anything again.
 */
import { replayReport, thresholdCurve, type ReplayReport, type ReplayResult, type ThresholdCurve } from '../../engine/index';

/** Where the compared results come from: a replay of stored history, or the live and shadow results stored as events arrived. */
export const COMPARISON_SOURCES = ['replay', 'shadow'] as const;
export type ComparisonSource = (typeof COMPARISON_SOURCES)[number];

export interface ComparisonReport extends ReplayReport {
  source: ComparisonSource;
  /** One threshold what-if curve per version, in the order of `versions`. */
  whatIf: ThresholdCurve[];
  /** What the figures could not take into account, in words (shadow comparisons). */
  notes: string[];
}

/** The report of a replay result: metrics, differences and what-if curves. Deterministic. */
export function comparisonReport(result: ReplayResult, source: ComparisonSource, notes: string[] = []): ComparisonReport {
  return {
    source,
    ...replayReport(result),
    whatIf: result.versions.map((_, index) => thresholdCurve(result, index)),
    notes,
  };
}
