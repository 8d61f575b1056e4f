/**
 * Comparing two versions lead by lead: which leads change band, hand-off or
 * final stage, and the scoring rules that made the difference. Reads each
 * version's record of each lead from a replay's columns (columns.ts), which
 * may come from one replay or be merged from replays in several threads.
 */
import { bandAt, OUTCOME, replayColumns, stageAt, type LeadColumns, type VersionColumns } from './columns';
import type { ReplayResult } from './replay';
import { BANDS, type Band, type Stage } from './schema';

/** How a version saw a lead, for the side-by-side list. */
export interface LeadView {
  score: number;
  band: Band;
  handedOff: boolean;
  stage: Stage;
}

export interface LeadChange {
  leadId: string;
  outcome: 'won' | 'lost' | null;
  from: LeadView;
  to: LeadView;
  /** Scoring rules whose points for this lead differ at judgement time, by rule id. */
  rules: Array<{ ruleId: string; from: number; to: number }>;
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
}

function view(columns: VersionColumns, i: number): LeadView {
  return {
    score: columns.score[i]!,
    band: bandAt(columns, i),
    handedOff: !Number.isNaN(columns.handOffAt[i]!),
    stage: stageAt(columns, i),
  };
}

/** Points per scoring rule of lead i at judgement time. */
function rulePoints(columns: VersionColumns, i: number): Record<string, number> {
  const rules: Record<string, number> = {};
  for (let j = columns.ruleStart[i]!; j < columns.ruleStart[i + 1]!; j++)
    rules[columns.ruleIds[columns.ruleIndex[j]!]!] = columns.rulePoints[j]!;
  return rules;
}

function ruleDifferences(from: Record<string, number>, to: Record<string, number>): LeadChange['rules'] {
  const ids = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return ids.filter((id) => (from[id] ?? 0) !== (to[id] ?? 0)).map((ruleId) => ({ ruleId, from: from[ruleId] ?? 0, to: to[ruleId] ?? 0 }));
}

/**
 * Lead by lead, how version `to` differs from version `from` (columns of the
 * same leads): counts, a band-to-band matrix, and the leads that change with
 * the scoring rules that made the difference (points per rule at judgement time).
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
      diff.changes.push({
        leadId: leads.ids[i]!,
        outcome: outcome === OUTCOME.won ? 'won' : outcome === OUTCOME.lost ? 'lost' : null,
        from: before,
        to: after,
        rules: ruleDifferences(rulePoints(from, i), rulePoints(to, i)),
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
