/**
 * Comparing two versions lead by lead: which leads change band, hand-off or
 * final stage, and what made the difference: each scoring rule's points at
 * the same moment for both versions (after the lead's last event within the
 * horizon), and the thresholds whose change moved the lead. Reads each
 * version's record of each lead from a replay's columns (columns.ts), which
 * may come from one replay or be merged from replays in several threads.
 */
import { bandAt, OUTCOME, replayColumns, stageAt, type LeadColumns, type VersionColumns } from './columns';
import { pairedVerdict, type Verdict } from './verdict';
import type { ReplayResult } from './replay';
import { BANDS, type Band, type Stage } from './schema';

/** How a version saw a lead, for the side-by-side list. */
export interface LeadView {
  score: number;
  band: Band;
  handedOff: boolean;
  stage: Stage;
}

/** What changed for a lead between two versions. */
export type ChangeKind = 'band' | 'hand-off' | 'stage';

/** A threshold that differs between the versions and lies between the lead's scores or peak: moving it moved the lead. */
export interface ThresholdMove {
  threshold: 'mql' | 'hot' | 'warm';
  from: number;
  to: number;
}

export interface LeadChange {
  leadId: string;
  /** The recorded outcome; null for an open lead (also one the report counts as not converted). */
  outcome: 'won' | 'lost' | null;
  kinds: ChangeKind[];
  from: LeadView;
  to: LeadView;
  /** Scoring rules whose points for this lead differ after its last event within the horizon (the same moment for both), by rule id. */
  rules: Array<{ ruleId: string; from: number; to: number }>;
  /** Thresholds whose change moved this lead (its judged score or its peak within the horizon lies between the two values). */
  thresholds: ThresholdMove[];
}

export interface VersionDiff {
  from: string;
  to: string;
  leads: number;
  /** Leads judged in a different band. */
  bandChanged: number;
  /** Leads handed over by one version and not the other. */
  handOffChanged: number;
  /** Leads ending the period in a different stage. */
  stageChanged: number;
  /** Leads by band in `from` (rows) and band in `to` (columns). */
  bandMatrix: Record<Band, Record<Band, number>>;
  /** Every lead with a change in band, hand-off or stage, sorted by lead id. */
  changes: LeadChange[];
  /** Measure by measure, whether `to` is better than `from` on the same leads, with intervals. */
  verdict: Verdict;
}

function view(columns: VersionColumns, i: number): LeadView {
  return {
    score: columns.score[i]!,
    band: bandAt(columns, i),
    handedOff: !Number.isNaN(columns.handOffAt[i]!),
    stage: stageAt(columns, i),
  };
}

/** Points per scoring rule of lead i after its last event within the horizon. */
function rulePoints(columns: VersionColumns, i: number): Record<string, number> {
  const rules: Record<string, number> = {};
  for (let j = columns.ruleStart[i]!; j < columns.ruleStart[i + 1]!; j++)
    rules[columns.ruleIds[columns.ruleIndex[j]!]!] = columns.rulePoints[j]!;
  return rules;
}

/** Lead i's highest score within the horizon (0 without any). */
function peak(columns: VersionColumns, i: number): number {
  const end = columns.highStart[i + 1]!;
  return end > columns.highStart[i]! ? columns.highScore[end - 1]! : 0;
}

function between(value: number, a: number, b: number): boolean {
  return value >= Math.min(a, b) && value < Math.max(a, b);
}

/** The thresholds that differ between the versions and lie between what the lead scored: changing them moved it. */
function thresholdMoves(from: VersionColumns, to: VersionColumns, i: number): ThresholdMove[] {
  const moves: ThresholdMove[] = [];
  const scores = [from.score[i]!, to.score[i]!];
  const peaks = [peak(from, i), peak(to, i)];
  const candidates: Array<[ThresholdMove['threshold'], number, number, number[]]> = [
    ['mql', from.threshold, to.threshold, [...scores, ...peaks]],
    ['hot', from.bands.hot, to.bands.hot, scores],
    ['warm', from.bands.warm, to.bands.warm, scores],
  ];
  for (const [threshold, a, b, values] of candidates) {
    if (a !== b && values.some((value) => between(value, a, b))) moves.push({ threshold, from: a, to: b });
  }
  return moves;
}

function ruleDifferences(from: Record<string, number>, to: Record<string, number>): LeadChange['rules'] {
  const ids = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return ids.filter((id) => (from[id] ?? 0) !== (to[id] ?? 0)).map((ruleId) => ({ ruleId, from: from[ruleId] ?? 0, to: to[ruleId] ?? 0 }));
}

/**
 * Lead by lead, how version `to` differs from version `from` (columns of the
 * same leads, labelled as the report counts them): counts, a band-to-band
 * matrix, the leads that change with what made the difference, and the
 * paired verdict per measure.
 */
export function diffColumns(leads: LeadColumns, from: VersionColumns, to: VersionColumns): VersionDiff {
  const bandMatrix = Object.fromEntries(
    BANDS.map((band) => [band, Object.fromEntries(BANDS.map((other) => [other, 0]))]),
  ) as VersionDiff['bandMatrix'];
  const diff: VersionDiff = {
    from: from.version,
    to: to.version,
    leads: leads.ids.length,
    bandChanged: 0,
    handOffChanged: 0,
    stageChanged: 0,
    bandMatrix,
    changes: [],
    verdict: pairedVerdict(leads, from, to),
  };
  for (let i = 0; i < leads.ids.length; i++) {
    const before = view(from, i);
    const after = view(to, i);
    bandMatrix[before.band][after.band]++;
    const band = before.band !== after.band;
    const handOff = before.handedOff !== after.handedOff;
    const stage = before.stage !== after.stage;
    if (band) diff.bandChanged++;
    if (handOff) diff.handOffChanged++;
    if (stage) diff.stageChanged++;
    if (band || handOff || stage) {
      const outcome = leads.outcome[i]!;
      const kinds: ChangeKind[] = [];
      if (band) kinds.push('band');
      if (handOff) kinds.push('hand-off');
      if (stage) kinds.push('stage');
      diff.changes.push({
        leadId: leads.ids[i]!,
        outcome: outcome === OUTCOME.won ? 'won' : outcome === OUTCOME.lost ? 'lost' : null,
        kinds,
        from: before,
        to: after,
        rules: ruleDifferences(rulePoints(from, i), rulePoints(to, i)),
        thresholds: thresholdMoves(from, to, i),
      });
    }
  }
  return diff;
}

/** {@link diffColumns} of versions `from` and `to` of a replay. */
export function compareVersions(result: ReplayResult, from: number, to: number): VersionDiff {
  const columns = replayColumns(result, [from, to]);
  return diffColumns(columns.leads, columns.versions[0]!, columns.versions[1]!);
}

/** Which changed leads a list shows: by outcome (open includes leads counted as not converted) and by kind of change. */
export interface ChangeFilter {
  outcome?: 'won' | 'lost' | 'open';
  kind?: ChangeKind;
}

/** The changes that pass the filter. */
export function filterChanges(changes: readonly LeadChange[], filter: ChangeFilter = {}): LeadChange[] {
  return changes.filter(
    (change) =>
      (filter.outcome === undefined || (change.outcome ?? 'open') === filter.outcome) &&
      (filter.kind === undefined || change.kinds.includes(filter.kind)),
  );
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180); a leading formula character is escaped. */
function csvField(value: string | number | boolean): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const CSV_HEADER = [
  'leadId',
  'outcome',
  'changes',
  'fromScore',
  'fromBand',
  'fromHandedOff',
  'fromStage',
  'toScore',
  'toBand',
  'toHandedOff',
  'toStage',
  'thresholds',
  'rules',
];

/** The changed leads of a difference as CSV (header line first, CRLF line ends), filtered. */
export function changesCsv(diff: Pick<VersionDiff, 'changes'>, filter: ChangeFilter = {}): string {
  const rows = filterChanges(diff.changes, filter).map((change) =>
    [
      change.leadId,
      change.outcome ?? 'open',
      change.kinds.join(' '),
      change.from.score,
      change.from.band,
      change.from.handedOff,
      change.from.stage,
      change.to.score,
      change.to.band,
      change.to.handedOff,
      change.to.stage,
      change.thresholds.map((move) => `${move.threshold} ${move.from}→${move.to}`).join('; '),
      change.rules.map((rule) => `${rule.ruleId} ${rule.from}→${rule.to}`).join('; '),
    ]
      .map(csvField)
      .join(','),
  );
  return [CSV_HEADER.join(','), ...rows].map((line) => `${line}\r\n`).join('');
}
