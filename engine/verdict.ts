/**
 * The verdict of one version against another, measure by measure, on the
 * same leads (paired): how many leads each hands over, precision, recall and
 * AUC, each difference with its 95% interval, and whether it is better,
 * worse, or not detectably different. A difference whose interval holds zero
 * is "no-difference": the history cannot tell the versions apart on it.
 *
 * Intervals of rates come from a seeded Bayesian bootstrap over the paired
 * counts (engine/stats.ts), so the same history gives the same bytes; the AUC
 * difference from DeLong's paired test. The bootstrap adds half a lead to
 * every cell (a Jeffreys prior): without it, a cell holding one lead would
 * never be drawn empty, and four leads could yield a confident verdict.
 */
import { OUTCOME, type LeadColumns, type VersionColumns } from './columns';
import { bootstrapInterval, pairedCell, pairedDelong, pairedRates, type Interval } from './stats';

export type VerdictKind = 'better' | 'worse' | 'fewer' | 'more' | 'no-difference' | 'unknown';

export interface VerdictMeasure {
  measure: 'handOffs' | 'precision' | 'recall' | 'auc';
  /**
   * handOffs: hand-off counts of each version, the relative change (to / from − 1)
   * and its interval; other measures: each version's value, the difference
   * (to − from) and its interval.
   */
  from: number | null;
  to: number | null;
  difference: number | null;
  low: number | null;
  high: number | null;
  verdict: VerdictKind;
}

export interface Verdict {
  /** Leads compared (every lead for hand-offs). */
  leads: number;
  /** Resolved leads (labelled as the report counts them), on which precision, recall and AUC are compared. */
  resolved: number;
  measures: VerdictMeasure[];
}

/** Half a lead added to every cell of the bootstrap (see the top of this file). */
const BOOTSTRAP = { prior: 0.5 };

function judge(difference: number | null, interval: Interval, up: VerdictKind, down: VerdictKind): VerdictKind {
  if (difference === null || interval.low === null || interval.high === null) return 'unknown';
  if (interval.low > 0) return up;
  if (interval.high < 0) return down;
  return 'no-difference';
}

function measure(
  name: VerdictMeasure['measure'],
  from: number | null,
  to: number | null,
  difference: number | null,
  interval: Interval,
  up: VerdictKind,
  down: VerdictKind,
): VerdictMeasure {
  return { measure: name, from, to, difference, ...interval, verdict: judge(difference, interval, up, down) };
}

/**
 * Version `to` against version `from` on the same leads. `leads` are labelled
 * as the report counts them (open leads idle long enough are resolved, not won).
 */
export function pairedVerdict(leads: LeadColumns, from: VersionColumns, to: VersionColumns): Verdict {
  const n = leads.ids.length;
  // Hand-offs over every lead: cells (from hands over ? 2 : 0) + (to hands over ? 1 : 0).
  const handOffCells = [0, 0, 0, 0];
  const cells = [0, 0, 0, 0, 0, 0, 0, 0];
  const scoresFrom: number[] = [];
  const scoresTo: number[] = [];
  const won: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const a = !Number.isNaN(from.handOffAt[i]!);
    const b = !Number.isNaN(to.handOffAt[i]!);
    handOffCells[(a ? 2 : 0) + (b ? 1 : 0)]!++;
    if (leads.outcome[i] === OUTCOME.open) continue;
    const isWon = leads.outcome[i] === OUTCOME.won;
    cells[pairedCell(a, b, isWon)]!++;
    scoresFrom.push(from.score[i]!);
    scoresTo.push(to.score[i]!);
    won.push(isWon);
  }
  const handedFrom = handOffCells[2]! + handOffCells[3]!;
  const handedTo = handOffCells[1]! + handOffCells[3]!;
  const relative = handedFrom === 0 ? null : handedTo / handedFrom - 1;
  const handOffInterval =
    relative === null
      ? { low: null, high: null }
      : bootstrapInterval(
          handOffCells,
          (w) => {
            const a = w[2]! + w[3]!;
            return a === 0 ? null : (w[1]! + w[3]!) / a - 1;
          },
          BOOTSTRAP,
        );
  const rates = pairedRates(cells, BOOTSTRAP);
  const anyLost = won.some((isWon) => !isWon);
  const precision = anyLost ? rates.precision : { a: null, b: null, difference: null, interval: { low: null, high: null } };
  const auc = pairedDelong(scoresFrom, scoresTo, won);
  return {
    leads: n,
    resolved: won.length,
    measures: [
      measure('handOffs', handedFrom, handedTo, relative, { low: handOffInterval.low, high: handOffInterval.high }, 'more', 'fewer'),
      measure('precision', precision.a, precision.b, precision.difference, precision.interval, 'better', 'worse'),
      measure('recall', rates.recall.a, rates.recall.b, rates.recall.difference, rates.recall.interval, 'better', 'worse'),
      measure('auc', auc.a.auc, auc.b.auc, auc.difference, auc.interval, 'better', 'worse'),
    ],
  };
}

const count = new Intl.NumberFormat('en-US');
const percent = (value: number) => `${Math.round(value * 100)}%`;
const points = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)} points`;

/** The verdict in one English sentence, e.g. "v2 hands off 18% fewer leads (95%: 12% to 24% fewer): precision better (+6.0 points), …". */
export function verdictSentence(version: string, baseline: string, verdict: Verdict): string {
  const parts = verdict.measures.map((m) => {
    if (m.measure === 'handOffs') {
      if (m.difference === null) return `hand-offs: ${m.to ?? 0} (${baseline} hands off none)`;
      const size = `${percent(Math.abs(m.difference))} ${m.difference < 0 ? 'fewer' : 'more'} leads`;
      const range = m.low === null || m.high === null ? '' : ` (95% interval ${signedPercent(m.low)} to ${signedPercent(m.high)})`;
      return m.verdict === 'no-difference'
        ? `no detectable difference in hand-offs (${signedPercent(m.difference)}${range.replace(' (', ', ').replace(/\)$/, '')})`
        : `hands off ${size}${range}`;
    }
    const name = m.measure === 'auc' ? 'AUC' : m.measure;
    if (m.verdict === 'unknown') return `${name} unknown`;
    const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
    const size = m.measure === 'auc' ? signed(m.difference!) : points(m.difference!);
    const range =
      m.measure === 'auc'
        ? `${signed(m.low!)} to ${signed(m.high!)}`
        : `${points(m.low!)} to ${points(m.high!)}`.replace(/ points to/, ' to');
    const word = m.verdict === 'no-difference' ? 'no detectable difference in' : m.verdict;
    return m.verdict === 'no-difference'
      ? `${word} ${name} (${size}, 95% interval ${range})`
      : `${name} ${word} (${size}, 95% interval ${range})`;
  });
  return `${version} against ${baseline} on ${count.format(verdict.resolved)} resolved of ${count.format(verdict.leads)} leads: ${parts.join('; ')}.`;
}

function signedPercent(value: number): string {
  return `${value >= 0 ? '+' : '−'}${percent(Math.abs(value))}`;
}
