/**
 * Comparing two versions lead by lead: which leads change band, hand-off or
 * final stage, and the scoring rules that made the difference. Reads each
 * version's judgement of each lead through a {@link JudgementReader}, so the
 * records may come from a replay or from columns sent between threads.
 */
import type { ReplayResult, VersionRecord } from './replay';
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

/** One version's judgement of the i-th lead of a replay. */
export interface JudgementReader {
  version: string;
  view(i: number): LeadView;
  /** Points per scoring rule at judgement time; read only for leads that change. */
  rules(i: number): Record<string, number>;
}

/** The leads compared, in the replay's order. */
export type ComparedLeads = ReadonlyArray<{ leadId: string; outcome: { result: 'won' | 'lost' } | null }>;

function view(record: VersionRecord): LeadView {
  return { score: record.judged.score, band: record.judged.band, handedOff: record.handOff !== null, stage: record.stage };
}

/** A reader over version `index` of a replay. */
export function recordReader(result: ReplayResult, index: number): JudgementReader {
  const version = result.versions[index];
  if (version === undefined) throw new RangeError(`no version at index ${index} (replay has ${result.versions.length})`);
  return {
    version,
    view: (i) => view(result.leads[i]!.versions[index]!),
    rules: (i) => result.leads[i]!.versions[index]!.judged.rules,
  };
}

function ruleDifferences(from: Record<string, number>, to: Record<string, number>): LeadChange['rules'] {
  const ids = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return ids.filter((id) => (from[id] ?? 0) !== (to[id] ?? 0)).map((ruleId) => ({ ruleId, from: from[ruleId] ?? 0, to: to[ruleId] ?? 0 }));
}

/**
 * Lead by lead, how version `to` differs from version `from`: counts, a
 * band-to-band matrix, and the leads that change with the scoring rules that
 * made the difference (points per rule at judgement time).
 */
export function diffJudgements(leads: ComparedLeads, from: JudgementReader, to: JudgementReader): VersionDiff {
  const bandMatrix = Object.fromEntries(
    BANDS.map((band) => [band, Object.fromEntries(BANDS.map((other) => [other, 0]))]),
  ) as VersionDiff['bandMatrix'];
  const diff: VersionDiff = {
    from: from.version,
    to: to.version,
    leads: leads.length,
    bandChanged: 0,
    handOffChanged: 0,
    stageChanged: 0,
    bandMatrix,
    changes: [],
  };
  leads.forEach((lead, i) => {
    const before = from.view(i);
    const after = to.view(i);
    bandMatrix[before.band][after.band]++;
    const band = before.band !== after.band;
    const handOff = before.handedOff !== after.handedOff;
    const stage = before.stage !== after.stage;
    if (band) diff.bandChanged++;
    if (handOff) diff.handOffChanged++;
    if (stage) diff.stageChanged++;
    if (band || handOff || stage) {
      diff.changes.push({
        leadId: lead.leadId,
        outcome: lead.outcome?.result ?? null,
        from: before,
        to: after,
        rules: ruleDifferences(from.rules(i), to.rules(i)),
      });
    }
  });
  return diff;
}

/** {@link diffJudgements} of versions `from` and `to` of a replay. */
export function compareVersions(result: ReplayResult, from: number, to: number): VersionDiff {
  return diffJudgements(result.leads, recordReader(result, from), recordReader(result, to));
}
