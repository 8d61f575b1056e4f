/**
 * A replay's records as typed-array columns, one row per lead in lead-id
 * order: all that the metrics, the threshold curve and the differences
 * between versions read. Columns pass between threads without being copied,
 * and the columns of replays of disjoint sets of leads (shares, replayed in
 * separate threads) merge into the columns of the whole history.
 */
import type { ReplayResult, VersionRecord } from './replay';
import { BANDS, STAGES, type Band, type Stage } from './schema';
import { parseTime } from './time';
import type { StageChange } from './types';

/** Outcome codes of {@link LeadColumns.outcome}. */
export const OUTCOME = { open: 0, won: 1, lost: 2 } as const;

export interface LeadColumns {
  /** Lead ids, in code-unit order. */
  ids: string[];
  /** Time (epoch ms) of each lead's first event. */
  firstTouch: Float64Array;
  /** What really happened: an {@link OUTCOME} code. */
  outcome: Uint8Array;
}

/** Flags of a stage history that the seed KPIs count (see {@link kpiFlags}). */
export const KPI = { dormant: 1, dormantToSql: 2, sql: 4, sqlToWon: 8 } as const;

/** One version's record of each lead. */
export interface VersionColumns {
  version: string;
  /** The version's hand-off (MQL) threshold. */
  threshold: number;
  /** The score the lead was judged on, its band (position in BANDS), and the stage it ended in (position in STAGES). */
  score: Float64Array;
  band: Uint8Array;
  stage: Uint8Array;
  /** Time (epoch ms) of the version's hand-off; NaN when it never handed the lead over. */
  handOffAt: Float64Array;
  /** Band at hand-off (position in BANDS); 0 without a hand-off. */
  handOffBand: Uint8Array;
  /** Bit s is set when the stage history enters STAGES[s]. */
  reached: Uint16Array;
  /** {@link KPI} flags of the stage history. */
  kpis: Uint8Array;
  /** Lead i's score highs are at [highStart[i], highStart[i + 1]) of highScore and highAt (epoch ms). */
  highStart: Uint32Array;
  highScore: Float64Array;
  highAt: Float64Array;
  /** Every scoring rule that counted for any lead at judgement time, in code-unit order. */
  ruleIds: string[];
  /** Lead i's points per rule at judgement time are at [ruleStart[i], ruleStart[i + 1]) of ruleIndex (positions in ruleIds) and rulePoints. */
  ruleStart: Uint32Array;
  ruleIndex: Uint16Array;
  rulePoints: Float64Array;
}

/** Columns of some of a replay's versions. */
export interface ReplayColumns {
  period: ReplayResult['period'];
  /** What was read; `unknownTypes` has one entry per version in `versions`. */
  events: ReplayResult['events'];
  leads: LeadColumns;
  versions: VersionColumns[];
}

type Numbers = Float64Array | Uint32Array | Uint16Array | Uint8Array;

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Positions of rule ids in a version's ruleIds, added as they are met. */
class RuleIds {
  private readonly ids: string[] = [];
  private readonly positions = new Map<string, number>();

  position(id: string): number {
    let position = this.positions.get(id);
    if (position === undefined) {
      position = this.ids.length;
      if (position > 0xffff) throw new RangeError('more than 65,536 scoring rules');
      this.positions.set(id, position);
      this.ids.push(id);
    }
    return position;
  }

  /** The ids in code-unit order, and `positions` (as returned by {@link position}) changed in place to positions in it. */
  sorted(positions: Uint16Array): string[] {
    const order = this.ids.map((_, i) => i).sort((a, b) => byKey(this.ids[a]!, this.ids[b]!));
    const to = new Uint16Array(order.length);
    order.forEach((from, i) => (to[from] = i));
    for (let j = 0; j < positions.length; j++) positions[j] = to[positions[j]!]!;
    return order.map((i) => this.ids[i]!);
  }
}

const STAGE_INDEX = new Map<string, number>(STAGES.map((stage, i) => [stage, i]));
const BAND_INDEX = new Map<string, number>(BANDS.map((band, i) => [band, i]));

export const bandAt = (columns: VersionColumns, i: number): Band => BANDS[columns.band[i]!]!;
export const stageAt = (columns: VersionColumns, i: number): Stage => STAGES[columns.stage[i]!]!;

/** The {@link KPI} flags of a stage history: whether it enters dormant, then SQL after that; SQL, then won after that. */
export function kpiFlags(history: readonly StageChange[]): number {
  let flags = 0;
  for (const { to } of history) {
    if (to === 'sql' && flags & KPI.dormant) flags |= KPI.dormantToSql;
    if (to === 'won' && flags & KPI.sql) flags |= KPI.sqlToWon;
    if (to === 'dormant') flags |= KPI.dormant;
    else if (to === 'sql') flags |= KPI.sql;
  }
  return flags;
}

function leadColumns(result: ReplayResult): LeadColumns {
  const { leads } = result;
  const columns: LeadColumns = {
    ids: new Array<string>(leads.length),
    firstTouch: new Float64Array(leads.length),
    outcome: new Uint8Array(leads.length),
  };
  leads.forEach((lead, i) => {
    columns.ids[i] = lead.leadId;
    columns.firstTouch[i] = parseTime(lead.firstTouchAt);
    columns.outcome[i] = lead.outcome === null ? OUTCOME.open : OUTCOME[lead.outcome.result];
  });
  return columns;
}

function versionColumns(result: ReplayResult, index: number): VersionColumns {
  const records: VersionRecord[] = result.leads.map((lead) => lead.versions[index]!);
  let highs = 0;
  for (const record of records) highs += record.highs.length;
  const n = records.length;
  const columns: VersionColumns = {
    version: result.versions[index]!,
    threshold: result.thresholds[index]!,
    score: new Float64Array(n),
    band: new Uint8Array(n),
    stage: new Uint8Array(n),
    handOffAt: new Float64Array(n),
    handOffBand: new Uint8Array(n),
    reached: new Uint16Array(n),
    kpis: new Uint8Array(n),
    highStart: new Uint32Array(n + 1),
    highScore: new Float64Array(highs),
    highAt: new Float64Array(highs),
    ruleIds: [],
    ruleStart: new Uint32Array(n + 1),
    ruleIndex: new Uint16Array(0),
    rulePoints: new Float64Array(0),
  };
  const ruleIds = new RuleIds();
  const ruleIndex: number[] = [];
  const rulePoints: number[] = [];
  let h = 0;
  for (let i = 0; i < n; i++) {
    const record = records[i]!;
    columns.score[i] = record.judged.score;
    columns.band[i] = BAND_INDEX.get(record.judged.band)!;
    columns.stage[i] = STAGE_INDEX.get(record.stage)!;
    columns.handOffAt[i] = record.handOff === null ? NaN : parseTime(record.handOff.at);
    columns.handOffBand[i] = record.handOff === null ? 0 : BAND_INDEX.get(record.handOff.band)!;
    let reached = 0;
    for (const change of record.stageHistory) reached |= 1 << STAGE_INDEX.get(change.to)!;
    columns.reached[i] = reached;
    columns.kpis[i] = kpiFlags(record.stageHistory);
    columns.highStart[i] = h;
    for (const high of record.highs) {
      columns.highScore[h] = high.score;
      columns.highAt[h++] = high.time;
    }
    columns.ruleStart[i] = ruleIndex.length;
    const rules = record.judged.rules;
    for (const id in rules) {
      ruleIndex.push(ruleIds.position(id));
      rulePoints.push(rules[id]!);
    }
  }
  columns.highStart[n] = h;
  columns.ruleStart[n] = ruleIndex.length;
  columns.ruleIndex = Uint16Array.from(ruleIndex);
  columns.ruleIds = ruleIds.sorted(columns.ruleIndex);
  columns.rulePoints = Float64Array.from(rulePoints);
  return columns;
}

/** The columns of the versions at `indexes` (default: all) of a replay. */
export function replayColumns(result: ReplayResult, indexes: readonly number[] = result.versions.map((_, i) => i)): ReplayColumns {
  for (const index of indexes) {
    if (result.versions[index] === undefined) throw new RangeError(`no version at index ${index} (replay has ${result.versions.length})`);
  }
  return {
    period: result.period,
    events: { ...result.events, unknownTypes: indexes.map((i) => result.events.unknownTypes[i]!) },
    leads: leadColumns(result),
    versions: indexes.map((i) => versionColumns(result, i)),
  };
}

/** The buffers of a version's columns, to transfer rather than copy them when they are sent to another thread. */
export function versionBuffers(v: VersionColumns): ArrayBuffer[] {
  const arrays: Numbers[] = [
    ...[v.score, v.band, v.stage, v.handOffAt, v.handOffBand, v.reached, v.kpis],
    ...[v.highStart, v.highScore, v.highAt, v.ruleStart, v.ruleIndex, v.rulePoints],
  ];
  return arrays.map((array) => array.buffer as ArrayBuffer);
}

/** The buffers of columns, to transfer rather than copy them when they are sent to another thread. */
export function columnBuffers(columns: ReplayColumns): ArrayBuffer[] {
  const { leads, versions } = columns;
  return [leads.firstTouch.buffer as ArrayBuffer, leads.outcome.buffer as ArrayBuffer, ...versions.flatMap(versionBuffers)];
}

/** Where each row of the merged columns comes from: share and row, in lead-id order. */
function mergeOrder(shares: readonly LeadColumns[]): { share: Uint32Array; row: Uint32Array } {
  const total = shares.reduce((sum, leads) => sum + leads.ids.length, 0);
  const share = new Uint32Array(total);
  const row = new Uint32Array(total);
  const next = shares.map(() => 0);
  let previous: string | null = null;
  for (let k = 0; k < total; k++) {
    let best = -1;
    for (let s = 0; s < shares.length; s++) {
      const id = shares[s]!.ids[next[s]!];
      if (id !== undefined && (best < 0 || id < shares[best]!.ids[next[best]!]!)) best = s;
    }
    const id = shares[best]!.ids[next[best]!]!;
    if (id === previous) throw new Error(`lead "${id}" was replayed in two shares: a share holds all of a lead's events`);
    previous = id;
    share[k] = best;
    row[k] = next[best]!++;
  }
  return { share, row };
}

function gather<T extends Numbers>(make: new (length: number) => T, parts: readonly T[], order: ReturnType<typeof mergeOrder>): T {
  const out = new make(order.share.length);
  for (let k = 0; k < out.length; k++) out[k] = parts[order.share[k]!]![order.row[k]!]!;
  return out;
}

function mergeVersion(parts: readonly VersionColumns[], order: ReturnType<typeof mergeOrder>): VersionColumns {
  const n = order.share.length;
  const ruleIds = new RuleIds();
  const remaps = parts.map((part) => part.ruleIds.map((id) => ruleIds.position(id)));
  const sum = (length: (part: VersionColumns) => number) => parts.reduce((total, part) => total + length(part), 0);
  const merged: VersionColumns = {
    version: parts[0]!.version,
    threshold: parts[0]!.threshold,
    score: gather(
      Float64Array,
      parts.map((p) => p.score),
      order,
    ),
    band: gather(
      Uint8Array,
      parts.map((p) => p.band),
      order,
    ),
    stage: gather(
      Uint8Array,
      parts.map((p) => p.stage),
      order,
    ),
    handOffAt: gather(
      Float64Array,
      parts.map((p) => p.handOffAt),
      order,
    ),
    handOffBand: gather(
      Uint8Array,
      parts.map((p) => p.handOffBand),
      order,
    ),
    reached: gather(
      Uint16Array,
      parts.map((p) => p.reached),
      order,
    ),
    kpis: gather(
      Uint8Array,
      parts.map((p) => p.kpis),
      order,
    ),
    highStart: new Uint32Array(n + 1),
    highScore: new Float64Array(sum((p) => p.highScore.length)),
    highAt: new Float64Array(sum((p) => p.highAt.length)),
    ruleIds: [],
    ruleStart: new Uint32Array(n + 1),
    ruleIndex: new Uint16Array(sum((p) => p.ruleIndex.length)),
    rulePoints: new Float64Array(sum((p) => p.rulePoints.length)),
  };
  let h = 0;
  let r = 0;
  for (let k = 0; k < n; k++) {
    const part = parts[order.share[k]!]!;
    const remap = remaps[order.share[k]!]!;
    const row = order.row[k]!;
    merged.highStart[k] = h;
    for (let j = part.highStart[row]!; j < part.highStart[row + 1]!; j++, h++) {
      merged.highScore[h] = part.highScore[j]!;
      merged.highAt[h] = part.highAt[j]!;
    }
    merged.ruleStart[k] = r;
    for (let j = part.ruleStart[row]!; j < part.ruleStart[row + 1]!; j++, r++) {
      merged.ruleIndex[r] = remap[part.ruleIndex[j]!]!;
      merged.rulePoints[r] = part.rulePoints[j]!;
    }
  }
  merged.highStart[n] = h;
  merged.ruleStart[n] = r;
  merged.ruleIds = ruleIds.sorted(merged.ruleIndex);
  return merged;
}

function sumCounts(counts: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const part of counts) for (const type in part) sum[type] = (sum[type] ?? 0) + part[type]!;
  return Object.fromEntries(Object.entries(sum).sort(([a], [b]) => byKey(a, b)));
}

/**
 * The columns of the whole history from those of its shares: replays of the
 * same versions, period and end, each of its own leads. Equal to the columns
 * of one replay of the whole, whatever the number and order of the shares.
 */
export function mergeColumns(shares: readonly ReplayColumns[]): ReplayColumns {
  const [first] = shares;
  if (!first) throw new RangeError('no shares to merge');
  const versions = first.versions.map((v) => v.version).join(',');
  for (const share of shares) {
    if (share.versions.map((v) => v.version).join(',') !== versions) throw new Error('shares of different versions cannot be merged');
    if (JSON.stringify(share.period) !== JSON.stringify(first.period)) throw new Error('shares of different periods cannot be merged');
  }
  const order = mergeOrder(shares.map((share) => share.leads));
  const leads: LeadColumns = {
    ids: Array.from(order.share, (s, k) => shares[s]!.leads.ids[order.row[k]!]!),
    firstTouch: gather(
      Float64Array,
      shares.map((share) => share.leads.firstTouch),
      order,
    ),
    outcome: gather(
      Uint8Array,
      shares.map((share) => share.leads.outcome),
      order,
    ),
  };
  return {
    period: first.period,
    events: {
      read: shares.reduce((sum, share) => sum + share.events.read, 0),
      beforePeriod: shares.reduce((sum, share) => sum + share.events.beforePeriod, 0),
      unknownTypes: first.versions.map((_, v) => sumCounts(shares.map((share) => share.events.unknownTypes[v]!))),
    },
    leads,
    versions: first.versions.map((_, v) =>
      mergeVersion(
        shares.map((share) => share.versions[v]!),
        order,
      ),
    ),
  };
}
