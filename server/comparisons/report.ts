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
  BANDS,
  diffJudgements,
  STAGES,
  thresholdCurve,
  versionMetrics,
  type JudgementReader,
  type ReplayReport,
  type ReplayResult,
  type ThresholdCurve,
  type VersionMetrics,
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
  /** Per version: what the differences between versions read of each lead (in lead-id order). */
  judgements: JudgementColumns[];
  /** Leads in the result, with the first and last id, to check that every part replayed the same leads. */
  leads: { count: number; first: string | null; last: string | null };
}

/**
 * What comparing versions reads of one version's judgement of each lead,
 * column by column: typed arrays pass between threads without being copied
 * (a hundred thousand small objects take most of a second to clone).
 */
export interface JudgementColumns {
  version: string;
  score: Float64Array;
  /** Positions in BANDS. */
  band: Uint8Array;
  /** Positions in STAGES. */
  stage: Uint8Array;
  /** 1 when the version handed the lead over. */
  handedOff: Uint8Array;
  /** Every scoring rule that gave any lead points. */
  ruleIds: string[];
  /** Lead i's points from ruleIds[j] at judgement time, at i × ruleIds.length + j (0 when none). */
  points: Float64Array;
}

function judgementColumns(result: ReplayResult, index: number): JudgementColumns {
  const { leads } = result;
  const ruleColumn = new Map<string, number>();
  for (const lead of leads)
    for (const id in lead.versions[index]!.judged.rules) if (!ruleColumn.has(id)) ruleColumn.set(id, ruleColumn.size);
  const width = ruleColumn.size;
  const columns: JudgementColumns = {
    version: result.versions[index]!,
    score: new Float64Array(leads.length),
    band: new Uint8Array(leads.length),
    stage: new Uint8Array(leads.length),
    handedOff: new Uint8Array(leads.length),
    ruleIds: [...ruleColumn.keys()],
    points: new Float64Array(leads.length * width),
  };
  leads.forEach((lead, i) => {
    const record = lead.versions[index]!;
    columns.score[i] = record.judged.score;
    columns.band[i] = BANDS.indexOf(record.judged.band);
    columns.stage[i] = STAGES.indexOf(record.stage);
    columns.handedOff[i] = record.handOff === null ? 0 : 1;
    for (const [id, points] of Object.entries(record.judged.rules)) columns.points[i * width + ruleColumn.get(id)!] = points;
  });
  return columns;
}

/** Reads judgements back from columns; a rule with no points is left out, as the comparison counts it as 0 anyway. */
function columnReader(columns: JudgementColumns): JudgementReader {
  const width = columns.ruleIds.length;
  return {
    version: columns.version,
    view: (i) => ({
      score: columns.score[i]!,
      band: BANDS[columns.band[i]!]!,
      handedOff: columns.handedOff[i] === 1,
      stage: STAGES[columns.stage[i]!]!,
    }),
    rules: (i) => {
      const rules: Record<string, number> = {};
      for (let j = 0; j < width; j++) {
        const points = columns.points[i * width + j]!;
        if (points !== 0) rules[columns.ruleIds[j]!] = points;
      }
      return rules;
    },
  };
}

/** The buffers of a part, to transfer rather than copy when it is sent to another thread. */
export function partBuffers(part: ReportPart): ArrayBuffer[] {
  return part.judgements.flatMap((c) => [c.score, c.band, c.stage, c.handedOff, c.points].map((array) => array.buffer as ArrayBuffer));
}

/** The part of the report that `result` (the replay of the versions at `indexes`) holds. */
export function reportPart(result: ReplayResult, indexes: readonly number[]): ReportPart {
  const { leads } = result;
  return {
    indexes: [...indexes],
    metrics: indexes.map((_, i) => versionMetrics(result, i)),
    whatIf: indexes.map((_, i) => thresholdCurve(result, i)),
    unknownTypes: result.events.unknownTypes,
    judgements: indexes.map((_, i) => judgementColumns(result, i)),
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
  const judgements = new Array<JudgementColumns>(count);
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
      judgements[index] = part.judgements[i]!;
    });
  }
  const events = { ...result.events, unknownTypes };
  const readers = judgements.map(columnReader);
  const diffs = readers.slice(1).map((reader) => diffJudgements(leads, readers[0]!, reader));
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
