/**
 * Notes on a replay report: what a reader must know before acting on its
 * figures. Each note has a stable `code` (for a translated banner), the
 * version it concerns when it concerns one, and an English message with the
 * numbers.
 */
import type { ReplayReport, VersionMetrics } from './metrics';

export interface ReportNote {
  /** `open-leads`, `open-as-lost`, `no-lost-outcomes`, `no-won-outcomes`, `few-resolved`, `auc-below-chance`, or `shadow-…` for shadow comparisons. */
  code: string;
  message: string;
  version?: string;
}

const count = new Intl.NumberFormat('en-US');
const fixed = (value: number | null) => (value === null ? '–' : value.toFixed(3));

/** The notes every report of these versions' metrics carries (all versions share the same leads and labels). */
export function reportNotes(versions: readonly VersionMetrics[], options: ReplayReport['options']): ReportNote[] {
  const first = versions[0];
  if (!first) return [];
  const { total, resolved, won, lost, openCountedAsLost, open } = first.leads;
  const notes: ReportNote[] = [];
  if (openCountedAsLost > 0 || options.openAsLostAfterDays !== null) {
    notes.push({
      code: 'open-as-lost',
      message:
        `${count.format(openCountedAsLost)} leads without an outcome, idle for more than ${options.openAsLostAfterDays} days before the end ` +
        'of the period, are counted as not converted.',
    });
  }
  if (open > 0) {
    notes.push({
      code: 'open-leads',
      message:
        `${count.format(open)} of ${count.format(total)} leads are open (no outcome by the end of the period): they count in ` +
        'hand-offs and workload, not in precision, recall, conversion or AUC.',
    });
  }
  if (won > 0 && lost + openCountedAsLost === 0) {
    notes.push({
      code: 'no-lost-outcomes',
      message:
        `The ${count.format(won)} resolved leads were all won: with no lost lead, precision, conversion by band and AUC cannot be ` +
        'measured (an export with won deals only?). Import lost deals, or count long-idle open leads as lost (--open-as-lost-after 90d).',
    });
  }
  if (resolved > 0 && won === 0) {
    notes.push({
      code: 'no-won-outcomes',
      message: `None of the ${count.format(resolved)} resolved leads was won: recall and AUC cannot be measured.`,
    });
  }
  if (resolved < options.minSample) {
    notes.push({
      code: 'few-resolved',
      message:
        `Only ${count.format(resolved)} leads are resolved, fewer than ${options.minSample}: the rates are wide guesses and ` +
        'a difference between versions is unlikely to be detectable.',
    });
  }
  for (const metrics of versions) {
    const { auc, interval } = metrics.roc;
    if (auc === null || auc >= 0.5) continue;
    const chance = interval.high !== null && interval.high >= 0.5;
    notes.push({
      code: 'auc-below-chance',
      version: metrics.version,
      message:
        `${metrics.version} scores lost leads above won ones more often than not: AUC ${fixed(auc)} ` +
        `(95% interval ${fixed(interval.low)}–${fixed(interval.high)}), ` +
        (chance ? 'no better than chance on this history.' : 'worse than chance: its points reward what predicts losing.'),
    });
  }
  return notes;
}
