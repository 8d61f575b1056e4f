/**
 * A comparison's verdict in plain words, from the server's paired measures:
 * "v2 hands off 18% fewer leads (±5%): better precision (+6 points, 95%
 * interval +2 to +10), …". Each measure says its size and interval, and an
 * unknown one says why it cannot be measured.
 */
import type { ComparisonReport, ReportDiff, VerdictMeasure } from '../api';
import type { Formatters, MessageKey, Translate } from '../i18n/translate';
import { aucText, points, signed, signedPercent } from './intervals';

export interface MeasureText {
  measure: VerdictMeasure['measure'];
  verdict: VerdictMeasure['verdict'];
  text: string;
}

export interface VerdictText {
  /** What the new version does with hand-offs, the sentence's subject. */
  head: string;
  /** Precision, recall and AUC, in that order. */
  measures: MeasureText[];
  /** The whole sentence. */
  sentence: string;
}

/** Why a measure cannot be told, from the outcomes the comparison had. */
export function unknownReason(measure: VerdictMeasure, report: ComparisonReport, diff: ReportDiff): MessageKey {
  const leads = report.versions.find((v) => v.version === diff.from)?.leads ?? report.versions[0]?.leads;
  const won = leads?.won ?? 0;
  const lost = (leads?.lost ?? 0) + (leads?.openCountedAsLost ?? 0);
  if (measure.measure === 'handOffs') return measure.from === 0 ? 'compare.why.noBaselineHandOffs' : 'compare.why.generic';
  if (diff.verdict.resolved === 0) return 'compare.why.noResolved';
  if (measure.measure !== 'recall' && lost === 0) return 'compare.why.noLost';
  if (measure.measure !== 'precision' && won === 0) return 'compare.why.noWon';
  if (measure.measure === 'precision' && (measure.from === null || measure.to === null)) return 'compare.why.noHandOffs';
  if (diff.verdict.resolved < report.options.minSample) return 'compare.why.fewResolved';
  return 'compare.why.generic';
}

/** ", 95% interval +2 to +10" (or, with `key`, another wording of it) for a measure with both ends; empty otherwise. */
function intervalOf(
  t: Translate,
  format: (value: number) => string,
  m: VerdictMeasure,
  key: 'compare.verdict.interval' | 'compare.verdict.range' = 'compare.verdict.interval',
): string {
  return m.low === null || m.high === null ? '' : t(key, { low: format(m.low), high: format(m.high) });
}

const wholePercent = (f: Formatters, value: number) =>
  new Intl.NumberFormat(f.tag, { style: 'percent', maximumFractionDigits: 0 }).format(value);

/** "(±5%)" when the interval sits evenly around the change, else "(95% interval −23% to −13%)". */
function relativeSpread(t: Translate, f: Formatters, m: VerdictMeasure & { difference: number }): string {
  if (m.low === null || m.high === null) return '';
  const below = Math.round((m.difference - m.low) * 100);
  const above = Math.round((m.high - m.difference) * 100);
  if (below === above) return t('compare.verdict.plusMinus', { margin: wholePercent(f, above / 100) });
  return intervalOf(t, (value) => signedPercent(f, value), m, 'compare.verdict.range');
}

function handOffText(t: Translate, f: Formatters, m: VerdictMeasure, diff: ReportDiff, report: ComparisonReport): string {
  const names = { from: diff.from, to: diff.to };
  if (m.verdict === 'unknown' || m.difference === null) {
    return t('compare.verdict.handOffs.unknown', { ...names, why: t(unknownReason(m, report, diff), names) });
  }
  const sized = { ...m, difference: m.difference };
  const size = wholePercent(f, Math.abs(m.difference));
  const spread = relativeSpread(t, f, sized);
  if (m.verdict === 'fewer' || m.verdict === 'more') {
    return t(`compare.verdict.handOffs.${m.verdict}`, { ...names, size, spread });
  }
  const interval = intervalOf(t, (value) => signedPercent(f, value), m);
  return t('compare.verdict.handOffs.same', { ...names, change: signedPercent(f, m.difference), interval });
}

function rateText(t: Translate, f: Formatters, m: VerdictMeasure, diff: ReportDiff, report: ComparisonReport): string {
  const name = t(m.measure === 'precision' ? 'compare.verdict.precision' : 'compare.verdict.recall');
  if (m.verdict === 'unknown' || m.difference === null) {
    return t('compare.verdict.rate.unknown', { name, why: t(unknownReason(m, report, diff), { from: diff.from, to: diff.to }) });
  }
  const size = t('compare.verdict.points', { points: points(f, m.difference) });
  const interval = intervalOf(t, (value) => points(f, value), m);
  const key = m.verdict === 'better' || m.verdict === 'worse' ? m.verdict : 'same';
  return t(`compare.verdict.rate.${key}`, { name, size, interval });
}

function aucMeasureText(t: Translate, f: Formatters, m: VerdictMeasure, diff: ReportDiff, report: ComparisonReport): string {
  if (m.verdict === 'unknown' || m.difference === null) {
    return t('compare.verdict.auc.unknown', { why: t(unknownReason(m, report, diff), { from: diff.from, to: diff.to }) });
  }
  const change = (value: number) => signed(f, value, 2);
  const key = m.verdict === 'better' || m.verdict === 'worse' ? m.verdict : 'same';
  return t(`compare.verdict.auc.${key}`, {
    to: aucText(f, m.to),
    from: aucText(f, m.from),
    change: change(m.difference),
    interval: intervalOf(t, change, m),
  });
}

const ORDER: ReadonlyArray<VerdictMeasure['measure']> = ['precision', 'recall', 'auc'];

/** The verdict of `diff` (a later version against the baseline) in the reader's language. */
export function verdictText(t: Translate, f: Formatters, report: ComparisonReport, diff: ReportDiff): VerdictText {
  const byName = new Map(diff.verdict.measures.map((m) => [m.measure, m]));
  const handOffs = byName.get('handOffs');
  const head = handOffs ? handOffText(t, f, handOffs, diff, report) : t('compare.verdict.against', { from: diff.from, to: diff.to });
  const measures = ORDER.flatMap((name) => {
    const m = byName.get(name);
    if (!m) return [];
    const text = name === 'auc' ? aucMeasureText(t, f, m, diff, report) : rateText(t, f, m, diff, report);
    return [{ measure: name, verdict: m.verdict, text }];
  });
  const sentence = t('compare.verdict.sentence', { head, measures: measures.map((m) => m.text).join(t('compare.verdict.separator')) });
  return { head, measures, sentence };
}
