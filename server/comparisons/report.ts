/**
 * What a comparison of rule-set versions answers with: the replay report
 * (every version's metrics, each later version against the first) and, per
 * version, the threshold what-if curve, so a slider can read any threshold
 * without running anything again.
 *
 * Versions may be replayed in separate workers: each computes the metrics and
 * curves of its own versions (a version replays exactly as it would alone)
 * and hands over a {@link ReportPart}; one worker assembles the report. A
 * single worker goes through the same assembly, so both give the same bytes.
 */
import {
  compareVersions,
  thresholdCurve,
  versionMetrics,
  type ReplayReport,
  type ReplayResult,
  type ThresholdCurve,
  type VersionMetrics,
  type VersionRecord,
} from '../../engine/index';

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

/** The report's share of some of the versions, from a result holding only them. */
export interface ReportPart {
  /** Positions of these versions among all compared versions. */
  indexes: number[];
  metrics: VersionMetrics[];
  whatIf: ThresholdCurve[];
  unknownTypes: Array<Record<string, number>>;
  /** Per version, per lead in lead-id order: what the differences between versions read (hand-off, judgement, final stage). */
  records: VersionRecord[][];
  /** Leads in the result, with the first and last id, to check that every part replayed the same leads. */
  leads: { count: number; first: string | null; last: string | null };
}

/** A version's record as the comparison of versions reads it: its score highs and stage history are left out. */
function diffRecord(record: VersionRecord): VersionRecord {
  return { handOff: record.handOff, judged: record.judged, stage: record.stage, highs: [], stageHistory: [] };
}

/** The part of the report that `result` (the replay of the versions at `indexes`) holds. */
export function reportPart(result: ReplayResult, indexes: readonly number[]): ReportPart {
  const { leads } = result;
  return {
    indexes: [...indexes],
    metrics: indexes.map((_, i) => versionMetrics(result, i)),
    whatIf: indexes.map((_, i) => thresholdCurve(result, i)),
    unknownTypes: result.events.unknownTypes,
    records: indexes.map((_, i) => leads.map((lead) => diffRecord(lead.versions[i]!))),
    leads: { count: leads.length, first: leads[0]?.leadId ?? null, last: leads[leads.length - 1]?.leadId ?? null },
  };
}

/**
 * The report from the parts of every version; `result` is any of the
 * replays (all read the same history: same period, events and leads).
 */
export function assembleReport(
  source: ComparisonSource,
  result: ReplayResult,
  parts: readonly ReportPart[],
  notes: string[] = [],
): ComparisonReport {
  const count = parts.reduce((sum, part) => sum + part.indexes.length, 0);
  const versions = new Array<VersionMetrics>(count);
  const whatIf = new Array<ThresholdCurve>(count);
  const unknownTypes = new Array<Record<string, number>>(count);
  const records = new Array<VersionRecord[]>(count);
  const { leads } = result;
  for (const part of parts) {
    const { count: leadCount, first, last } = part.leads;
    if (leadCount !== leads.length || first !== (leads[0]?.leadId ?? null) || last !== (leads[leads.length - 1]?.leadId ?? null)) {
      throw new Error(`a part of the comparison replayed other leads (${leadCount} from ${first} to ${last}, not ${leads.length})`);
    }
    part.indexes.forEach((index, i) => {
      versions[index] = part.metrics[i]!;
      whatIf[index] = part.whatIf[i]!;
      unknownTypes[index] = part.unknownTypes[i]!;
      records[index] = part.records[i]!;
    });
  }
  const events = { ...result.events, unknownTypes };
  const all: ReplayResult = {
    versions: versions.map((metrics) => metrics.version),
    thresholds: whatIf.map((curve) => curve.threshold),
    period: result.period,
    events,
    leads: leads.map((lead, i) => ({ ...lead, versions: records.map((byLead) => byLead[i]!) })),
  };
  const diffs = versions.slice(1).map((_, i) => compareVersions(all, 0, i + 1));
  return { source, period: result.period, events, versions, diffs, whatIf, notes };
}

/** The report of a result holding every version. Deterministic. */
export function comparisonReport(result: ReplayResult, source: ComparisonSource, notes: string[] = []): ComparisonReport {
  return assembleReport(
    source,
    result,
    [
      reportPart(
        result,
        result.versions.map((_, i) => i),
      ),
    ],
    notes,
  );
}
