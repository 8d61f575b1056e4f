/**
 * What a comparison of rule-set versions answers with: the replay report
 * (every version's metrics, each later version against the first) and, per
 * version, the threshold what-if curve, so a slider can read any threshold
 * without running anything again.
 *
 * The report is computed from a replay's columns (engine/columns.ts), which
 * may be merged from replays of parts of the leads in several threads. Each
 * thread computes the metrics and curves of some of the versions from the
 * merged columns and hands over a {@link ReportPart}; one thread assembles
 * the report. A single thread goes through the same assembly, so all give the
 * same bytes.
 */
import {
  columnCurve,
  columnMetrics,
  countOpenAsLost,
  diffColumns,
  replayColumns,
  reportNotes,
  reportOptions,
  type ReportNote,
  type ReportOptions,
  type ReplayColumns,
  type ReplayReport,
  type ReplayResult,
  type ThresholdCurve,
  type VersionColumns,
  type VersionMetrics,
  versionBuffers,
} from '../../engine/index';

/** Where the compared results come from: a replay of stored history, or the live and shadow results stored as events arrived. */
export const COMPARISON_SOURCES = ['replay', 'shadow'] as const;
export type ComparisonSource = (typeof COMPARISON_SOURCES)[number];

export interface ComparisonReport extends ReplayReport {
  source: ComparisonSource;
  /** One threshold what-if curve per version, in the order of `versions`. */
  whatIf: ThresholdCurve[];
}

/** The report's share of some of the versions, from the columns of the whole history. */
export interface ReportPart {
  /** Positions of these versions among all compared versions. */
  indexes: number[];
  metrics: VersionMetrics[];
  whatIf: ThresholdCurve[];
  unknownTypes: Array<Record<string, number>>;
  /** Their columns, which the differences between versions read. */
  columns: VersionColumns[];
  /** Leads in the columns, with the first and last id, to check that every part read the same leads. */
  leads: { count: number; first: string | null; last: string | null };
}

/** The buffers of a part, to transfer rather than copy when it is sent to another thread. */
export function partBuffers(part: ReportPart): ArrayBuffer[] {
  return part.columns.flatMap(versionBuffers);
}

function leadSummary(columns: ReplayColumns): ReportPart['leads'] {
  const { ids } = columns.leads;
  return { count: ids.length, first: ids[0] ?? null, last: ids[ids.length - 1] ?? null };
}

/**
 * The part of the report of the versions at `indexes`, whose columns `columns`
 * holds (in that order), its open leads labelled as the report counts them.
 */
export function reportPart(columns: ReplayColumns, indexes: readonly number[], options: ReportOptions = {}): ReportPart {
  return {
    indexes: [...indexes],
    metrics: indexes.map((_, i) => columnMetrics(columns, i, options)),
    whatIf: indexes.map((_, i) => columnCurve(columns, i)),
    unknownTypes: columns.events.unknownTypes,
    columns: columns.versions,
    leads: leadSummary(columns),
  };
}

/**
 * The report from the parts of every version; `columns` are any of the
 * parts' columns (all read the same history: same period, events and leads,
 * labelled alike). `notes` come before the report's own.
 */
export function assembleReport(
  source: ComparisonSource,
  columns: ReplayColumns,
  parts: readonly ReportPart[],
  options: ReportOptions = {},
  notes: ReportNote[] = [],
): ComparisonReport {
  const count = parts.reduce((sum, part) => sum + part.indexes.length, 0);
  const versions = new Array<VersionMetrics>(count);
  const whatIf = new Array<ThresholdCurve>(count);
  const unknownTypes = new Array<Record<string, number>>(count);
  const judged = new Array<VersionColumns>(count);
  const leads = leadSummary(columns);
  for (const part of parts) {
    const { count: leadCount, first, last } = part.leads;
    if (leadCount !== leads.count || first !== leads.first || last !== leads.last) {
      throw new Error(`a part of the comparison read other leads (${leadCount} from ${first} to ${last}, not ${leads.count})`);
    }
    part.indexes.forEach((index, i) => {
      versions[index] = part.metrics[i]!;
      whatIf[index] = part.whatIf[i]!;
      unknownTypes[index] = part.unknownTypes[i]!;
      judged[index] = part.columns[i]!;
    });
  }
  const events = { ...columns.events, unknownTypes };
  const diffs = judged.slice(1).map((to) => diffColumns(columns.leads, judged[0]!, to));
  const stated = reportOptions(columns, options);
  return {
    source,
    period: columns.period,
    options: stated,
    events,
    versions,
    diffs,
    whatIf,
    notes: [...notes, ...reportNotes(versions, stated)],
  };
}

/** The report of a result holding every version. Deterministic. */
export function comparisonReport(
  result: ReplayResult,
  source: ComparisonSource,
  options: ReportOptions = {},
  notes: ReportNote[] = [],
): ComparisonReport {
  const columns = countOpenAsLost(replayColumns(result), options.openAsLostAfterDays ?? null);
  const indexes = result.versions.map((_, i) => i);
  return assembleReport(source, columns, [reportPart(columns, indexes, options)], options, notes);
}
