/**
 * A comparison's notes in the reader's language, with the numbers from the
 * report: the server sends a stable code and an English message; a code the
 * editor does not know yet is shown with the server's message.
 */
import type { ComparisonReport, ReportNote } from '../api';
import type { Formatters, Translate } from '../i18n/translate';
import { aucText } from './intervals';

/** A note's text, e.g. "120 of 800 leads have no outcome yet: …". */
export function noteText(t: Translate, f: Formatters, note: ReportNote, report: ComparisonReport): string {
  const version = report.versions.find((v) => v.version === note.version) ?? report.versions[0];
  if (!version) return note.message;
  const { leads } = version;
  const options = report.options;
  switch (note.code) {
    case 'open-leads':
      return t(options.openAsLostAfterDays ? 'compare.note.openLeadsCounted' : 'compare.note.openLeads', {
        open: f.integer(leads.open),
        total: f.integer(leads.total),
      });
    case 'open-as-lost':
      if (!options.openAsLostAfterDays) return note.message;
      return t('compare.note.openAsLost', { count: f.integer(leads.openCountedAsLost), days: f.integer(options.openAsLostAfterDays) });
    case 'no-lost-outcomes':
      return t('compare.note.noLost');
    case 'no-won-outcomes':
      return t('compare.note.noWon');
    case 'few-resolved':
      return t('compare.note.fewResolved', { resolved: f.integer(leads.resolved), minSample: f.integer(options.minSample) });
    case 'auc-below-chance':
      return t('compare.note.aucBelowChance', { version: version.version, auc: aucText(f, version.roc.auc) });
    case 'shadow-stored-results':
      return t('compare.note.shadowStoredResults');
    case 'shadow-challenger-leads':
      return t('compare.note.shadowChallengerLeads');
    case 'shadow-after-outcome':
      return t('compare.note.shadowAfterOutcome');
    case 'shadow-other-versions': {
      // The count is only in the server's message: the report has no field for it.
      const count = /^(\d+) /.exec(note.message)?.[1];
      return count === undefined ? note.message : t('compare.note.shadowOtherVersions', { count: f.integer(Number(count)) });
    }
    default:
      return note.message;
  }
}
