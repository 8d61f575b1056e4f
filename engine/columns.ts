/**
 * A replay's records as typed-array columns, one row per lead in lead-id
 * order: all that the metrics, the threshold curve and the differences
 * between versions read. The typed arrays pass between threads without being
 * copied (only the lead ids, strings, are cloned), and the columns of replays
 * of disjoint sets of leads (shares, replayed in separate threads) merge into
 * the columns of the whole history.
 */
import type { LeadKeeper, LeadReplay, ReplayResult, VersionRecord } from './replay';
import { BANDS, STAGES, type Band, type Stage } from './schema';
import { byCodeUnit } from './order';
import { MS_PER_DAY } from './scoring';
import { parseTime } from './time';
import type { StageChange } from './types';

/**
 * Outcome codes of {@link LeadColumns.outcome}. `openAsLost`: no outcome, but
 * idle for longer than the report's `openAsLostAfterDays` before the end of
 * the period, so counted as not converted (see {@link countOpenAsLost}).
 */
export const OUTCOME = { open: 0, won: 1, lost: 2, openAsLost: 3 } as const;

export interface LeadColumns {
  /** Lead ids, in code-unit order. */
  ids: string[];
  /** Time (epoch ms) of each lead's first event. */
  firstTouch: Float64Array;
  /** Time (epoch ms) of each lead's last event other than an outcome. */
  lastActivity: Float64Array;
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
  /** The version's band thresholds: minimum scores of hot and warm. */
  bands: { hot: number; warm: number };
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
  /** Every scoring rule that counted for any lead at the end of its horizon, in code-unit order. */
  ruleIds: string[];
  /** Lead i's points per rule after its last event within the horizon (the same moment for every version) are at [ruleStart[i], ruleStart[i + 1]) of ruleIndex (positions in ruleIds) and rulePoints. */
  ruleStart: Uint32Array;
  ruleIndex: Uint16Array;
  rulePoints: Float64Array;
}

/** Columns of some of a replay's versions. */
export interface ReplayColumns {
  period: ReplayResult['period'];
  /** The judgement horizon in days. */
  horizonDays: number;
  /** What was read; `unknownTypes` has one entry per version in `versions`. */
  events: ReplayResult['events'];
  leads: LeadColumns;
  versions: VersionColumns[];
}

type Numbers = Float64Array | Uint32Array | Uint16Array | Uint8Array;

/** Positions of rule ids in a version's ruleIds, added as they are met. */
class RuleIds {
  /** The ids in the order met. */
  readonly ids: string[] = [];
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
    const order = this.ids.map((_, i) => i).sort((a, b) => byCodeUnit(this.ids[a]!, this.ids[b]!));
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

/** One version's columns while leads are added, in the order they come. */
class VersionRows {
  readonly score: number[] = [];
  readonly band: number[] = [];
  readonly stage: number[] = [];
  readonly handOffAt: number[] = [];
  readonly handOffBand: number[] = [];
  readonly reached: number[] = [];
  readonly kpis: number[] = [];
  readonly highStart: number[] = [];
  readonly highScore: number[] = [];
  readonly highAt: number[] = [];
  readonly ruleIds = new RuleIds();
  readonly ruleStart: number[] = [];
  readonly ruleIndex: number[] = [];
  readonly rulePoints: number[] = [];

  add(record: VersionRecord): void {
    const { judged, horizonRules: rules } = record;
    this.score.push(judged.score);
    this.band.push(BAND_INDEX.get(judged.band)!);
    this.stage.push(STAGE_INDEX.get(record.stage)!);
    this.handOffAt.push(record.handOff === null ? NaN : parseTime(record.handOff.at));
    this.handOffBand.push(record.handOff === null ? 0 : BAND_INDEX.get(record.handOff.band)!);
    let reached = 0;
    for (const change of record.stageHistory) reached |= 1 << STAGE_INDEX.get(change.to)!;
    this.reached.push(reached);
    this.kpis.push(kpiFlags(record.stageHistory));
    this.highStart.push(this.highScore.length);
    for (const high of record.highs) {
      this.highScore.push(high.score);
      this.highAt.push(high.time);
    }
    this.ruleStart.push(this.ruleIndex.length);
    for (const id in rules) {
      this.ruleIndex.push(this.ruleIds.position(id));
      this.rulePoints.push(rules[id]!);
    }
  }

  /** The columns, rows in the order added. */
  columns(version: string, threshold: number, bands: VersionColumns['bands']): VersionColumns {
    return {
      version,
      threshold,
      bands,
      score: Float64Array.from(this.score),
      band: Uint8Array.from(this.band),
      stage: Uint8Array.from(this.stage),
      handOffAt: Float64Array.from(this.handOffAt),
      handOffBand: Uint8Array.from(this.handOffBand),
      reached: Uint16Array.from(this.reached),
      kpis: Uint8Array.from(this.kpis),
      highStart: Uint32Array.from([...this.highStart, this.highScore.length]),
      highScore: Float64Array.from(this.highScore),
      highAt: Float64Array.from(this.highAt),
      ruleIds: this.ruleIds.ids,
      ruleStart: Uint32Array.from([...this.ruleStart, this.ruleIndex.length]),
      ruleIndex: Uint16Array.from(this.ruleIndex),
      rulePoints: Float64Array.from(this.rulePoints),
    };
  }
}

/**
 * Columns built lead by lead as a replay finishes leads, in any order, so
 * the replay need not keep every lead's records: a lead's row is written
 * while its records are fresh, and they can go.
 */
export class ColumnsBuilder implements LeadKeeper<ReplayColumns> {
  private readonly ids: string[] = [];
  private readonly firstTouch: number[] = [];
  private readonly lastActivity: number[] = [];
  private readonly outcome: number[] = [];
  private readonly rows: VersionRows[];

  /** @param indexes the positions, among a lead's versions, of the versions to keep. */
  constructor(private readonly indexes: readonly number[]) {
    this.rows = indexes.map(() => new VersionRows());
  }

  /** Adds a lead. */
  add(lead: LeadReplay): void {
    this.ids.push(lead.leadId);
    this.firstTouch.push(parseTime(lead.firstTouchAt));
    this.lastActivity.push(parseTime(lead.lastActivityAt));
    this.outcome.push(lead.outcome === null ? OUTCOME.open : OUTCOME[lead.outcome.result]);
    this.indexes.forEach((index, k) => this.rows[k]!.add(lead.versions[index]!));
  }

  /**
   * The columns, leads in lead-id order. `head` is the replay's result without
   * its leads; `duplicate` is called for a lead added twice.
   */
  finish(head: Omit<ReplayResult, 'leads'>, duplicate: (leadId: string) => never): ReplayColumns {
    const order = Array.from(this.ids, (_, i) => i).sort((a, b) => byCodeUnit(this.ids[a]!, this.ids[b]!));
    for (let k = 1; k < order.length; k++) if (this.ids[order[k]!] === this.ids[order[k - 1]!]) duplicate(this.ids[order[k]!]!);
    const added: ReplayColumns = {
      period: head.period,
      horizonDays: head.horizonDays,
      events: { ...head.events, unknownTypes: this.indexes.map((i) => head.events.unknownTypes[i]!) },
      leads: {
        ids: this.ids,
        firstTouch: Float64Array.from(this.firstTouch),
        lastActivity: Float64Array.from(this.lastActivity),
        outcome: Uint8Array.from(this.outcome),
      },
      versions: this.rows.map((rows, k) => {
        const index = this.indexes[k]!;
        return rows.columns(head.versions[index]!, head.thresholds[index]!, head.bands[index]!);
      }),
    };
    return reordered(added, { share: new Uint32Array(order.length), row: Uint32Array.from(order) });
  }
}

/** The columns of the versions at `indexes` (default: all) of a replay. */
export function replayColumns(result: ReplayResult, indexes: readonly number[] = result.versions.map((_, i) => i)): ReplayColumns {
  for (const index of indexes) {
    if (result.versions[index] === undefined) throw new RangeError(`no version at index ${index} (replay has ${result.versions.length})`);
  }
  const builder = new ColumnsBuilder(indexes);
  for (const lead of result.leads) builder.add(lead);
  const { leads: _leads, ...head } = result;
  return builder.finish(head, (leadId) => {
    throw new Error(`lead "${leadId}" is twice in the replay`);
  });
}

/**
 * The columns with every open lead idle for more than `days` before the end
 * of the period (its last event other than an outcome that long before
 * `period.endAt`) labelled {@link OUTCOME.openAsLost}: resolved, not won.
 * Version columns are shared, lead columns copied.
 */
export function countOpenAsLost(columns: ReplayColumns, days: number | null): ReplayColumns {
  const endAt = columns.period.endAt;
  if (days === null || endAt === null) return columns;
  const end = parseTime(endAt);
  const { outcome, lastActivity } = columns.leads;
  const labelled = outcome.slice();
  for (let i = 0; i < labelled.length; i++)
    if (labelled[i] === OUTCOME.open && end - lastActivity[i]! > days * MS_PER_DAY) labelled[i] = OUTCOME.openAsLost;
  return { ...columns, leads: { ...columns.leads, outcome: labelled } };
}

/** Columns of some of the versions of `columns` (positions in it): lead columns copied, version columns shared. */
export function selectVersions(columns: ReplayColumns, indexes: readonly number[]): ReplayColumns {
  const { leads } = columns;
  return {
    period: columns.period,
    horizonDays: columns.horizonDays,
    events: { ...columns.events, unknownTypes: indexes.map((i) => columns.events.unknownTypes[i]!) },
    leads: {
      ids: leads.ids,
      firstTouch: leads.firstTouch.slice(),
      lastActivity: leads.lastActivity.slice(),
      outcome: leads.outcome.slice(),
    },
    versions: indexes.map((i) => columns.versions[i]!),
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
  return [
    leads.firstTouch.buffer as ArrayBuffer,
    leads.lastActivity.buffer as ArrayBuffer,
    leads.outcome.buffer as ArrayBuffer,
    ...versions.flatMap(versionBuffers),
  ];
}

/** Where each row of gathered columns comes from: a part, and a row in it. */
interface Order {
  share: Uint32Array;
  row: Uint32Array;
}

/** The rows of the shares in lead-id order. */
function mergeOrder(shares: readonly LeadColumns[]): Order {
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

function gather<T extends Numbers>(make: new (length: number) => T, parts: readonly T[], order: Order): T {
  const out = new make(order.share.length);
  for (let k = 0; k < out.length; k++) out[k] = parts[order.share[k]!]![order.row[k]!]!;
  return out;
}

function mergeVersion(parts: readonly VersionColumns[], order: Order): VersionColumns {
  const n = order.share.length;
  const ruleIds = new RuleIds();
  const remaps = parts.map((part) => part.ruleIds.map((id) => ruleIds.position(id)));
  const sum = (length: (part: VersionColumns) => number) => parts.reduce((total, part) => total + length(part), 0);
  const column = <T extends Numbers>(make: new (length: number) => T, pick: (part: VersionColumns) => T) =>
    gather(make, parts.map(pick), order);
  const merged: VersionColumns = {
    version: parts[0]!.version,
    threshold: parts[0]!.threshold,
    bands: parts[0]!.bands,
    score: column(Float64Array, (p) => p.score),
    band: column(Uint8Array, (p) => p.band),
    stage: column(Uint8Array, (p) => p.stage),
    handOffAt: column(Float64Array, (p) => p.handOffAt),
    handOffBand: column(Uint8Array, (p) => p.handOffBand),
    reached: column(Uint16Array, (p) => p.reached),
    kpis: column(Uint8Array, (p) => p.kpis),
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
  return Object.fromEntries(Object.entries(sum).sort(([a], [b]) => byCodeUnit(a, b)));
}

/** Columns whose rows are the rows of `parts` (columns of the same versions and period) taken in `order`. */
function gathered(parts: readonly ReplayColumns[], order: Order, events: ReplayResult['events']): ReplayColumns {
  const first = parts[0]!;
  return {
    period: first.period,
    horizonDays: first.horizonDays,
    events,
    leads: {
      ids: Array.from(order.share, (s, k) => parts[s]!.leads.ids[order.row[k]!]!),
      firstTouch: gather(
        Float64Array,
        parts.map((part) => part.leads.firstTouch),
        order,
      ),
      lastActivity: gather(
        Float64Array,
        parts.map((part) => part.leads.lastActivity),
        order,
      ),
      outcome: gather(
        Uint8Array,
        parts.map((part) => part.leads.outcome),
        order,
      ),
    },
    versions: first.versions.map((_, v) =>
      mergeVersion(
        parts.map((part) => part.versions[v]!),
        order,
      ),
    ),
  };
}

/** The columns with their rows in `order` (rows of the one part). */
function reordered(columns: ReplayColumns, order: Order): ReplayColumns {
  return gathered([columns], order, columns.events);
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
    if (JSON.stringify(share.period) !== JSON.stringify(first.period) || share.horizonDays !== first.horizonDays)
      throw new Error('shares of different periods or horizons cannot be merged');
  }
  return gathered(shares, mergeOrder(shares.map((share) => share.leads)), {
    read: shares.reduce((sum, share) => sum + share.events.read, 0),
    beforePeriod: shares.reduce((sum, share) => sum + share.events.beforePeriod, 0),
    unknownTypes: first.versions.map((_, v) => sumCounts(shares.map((share) => share.events.unknownTypes[v]!))),
  });
}
