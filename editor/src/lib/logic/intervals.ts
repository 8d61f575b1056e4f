/**
 * Figures with their 95% intervals, as the comparison report shows them:
 * "42% (38–46%)" for a rate, "0.71 (0.66–0.76)" for an AUC, "+6 points" for
 * a difference of rates. A figure the data cannot give reads "unknown", never 0% or 100%.
 */
import type { Interval } from '../api';
import type { Formatters, Translate } from '../i18n/translate';

/** Digits that keep an interval's two ends apart without claiming more precision than it has. */
const WIDE_RATE_INTERVAL = 0.02;
const AUC_DIGITS = 2;

function hasBounds(interval: Interval | undefined): interval is { low: number; high: number } {
  return interval !== undefined && interval.low !== null && interval.high !== null;
}

/** "38–46%" (whole percentages unless the interval is narrower than two points); null without both ends. */
export function percentRange(f: Formatters, interval: Interval | undefined): string | null {
  if (!hasBounds(interval)) return null;
  const digits = interval.high - interval.low >= WIDE_RATE_INTERVAL ? 0 : 1;
  const high = new Intl.NumberFormat(f.tag, { style: 'percent', maximumFractionDigits: digits }).format(interval.high);
  if (interval.low === interval.high) return high;
  // One percent sign for both ends, "38–46%", as Intl's own ranges repeat it ("38% – 46%").
  const low = new Intl.NumberFormat(f.tag, { maximumFractionDigits: digits }).format(interval.low * 100);
  return `${low}–${high}`;
}

/** A rate with its interval, "42% (38–46%)"; "unknown" when the rate cannot be measured. */
export function rateWithInterval(t: Translate, f: Formatters, rate: number | null | undefined, interval?: Interval): string {
  if (rate === null || rate === undefined) return t('compare.unknown');
  const range = percentRange(f, interval);
  return range === null ? f.percent(rate) : `${f.percent(rate)} (${range})`;
}

/** An AUC to two decimals. */
export function aucText(f: Formatters, auc: number | null | undefined): string {
  return f.number(auc, AUC_DIGITS);
}

/** An AUC with its interval, "0.71 (0.66–0.76)"; "unknown" without won and lost leads to rank. */
export function aucWithInterval(t: Translate, f: Formatters, auc: number | null | undefined, interval?: Interval): string {
  if (auc === null || auc === undefined) return t('compare.unknown');
  if (!hasBounds(interval)) return aucText(f, auc);
  return `${aucText(f, auc)} (${aucText(f, interval.low)}–${aucText(f, interval.high)})`;
}

/** A signed number, "+6", "−2.5", "0". */
export function signed(f: Formatters, value: number, digits: number): string {
  return new Intl.NumberFormat(f.tag, { signDisplay: 'exceptZero', maximumFractionDigits: digits }).format(value);
}

/** A difference of two rates in percentage points, signed: 0.063 → "+6.3"; a small non-zero one keeps its sign, "−0.04". */
export function points(f: Formatters, difference: number): string {
  const value = difference * 100;
  return signed(f, value, value !== 0 && Math.abs(value) < 0.05 ? 2 : 1);
}

/** A signed ratio as a percentage: −0.18 → "−18%". */
export function signedPercent(f: Formatters, value: number): string {
  return new Intl.NumberFormat(f.tag, { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 0 }).format(value);
}
