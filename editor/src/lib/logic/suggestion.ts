/**
 * The suggest page's logic: the period a person picks (whole days, both ends
 * included, as the request's since and until), and a suggestion's notes in
 * the reader's language, with the server's message for a code the editor
 * does not know yet.
 */
import type { SuggestionNote } from '../api';
import type { Formatters, Translate } from '../i18n/translate';

/** The period lengths offered as one click, in days; the first one is chosen unless the person picks another. */
export const PERIOD_PRESETS = [180, 90, 365] as const;

/** A local calendar day as an `<input type="date">` value, "2026-11-20". */
export function dayOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The day `days` after (or before) a day. */
export function addDays(day: string, days: number): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return dayOf(new Date(year, month - 1, date + days));
}

/** The last `days` days of data, ending on the day of the last stored event (today without any). */
export function lastDays(lastEventAt: string | null, days: number, today = new Date()): { from: string; to: string } {
  const to = dayOf(lastEventAt ? new Date(lastEventAt) : today);
  return { from: addDays(to, 1 - days), to };
}

/** The request's period: from the start of `from` to the end of `to`, local time. */
export function periodRequest(from: string, to: string): { since?: string; until?: string } {
  return {
    ...(from && { since: new Date(`${from}T00:00:00`).toISOString() }),
    ...(to && { until: new Date(`${addDays(to, 1)}T00:00:00`).toISOString() }),
  };
}

const integer = (f: Formatters, value: string | number | undefined) => (typeof value === 'number' ? f.integer(value) : String(value ?? ''));

/** A suggestion note's text, e.g. "Only 24 leads were held out…". */
export function suggestionNoteText(t: Translate, f: Formatters, note: SuggestionNote): string {
  const v = note.values;
  switch (note.code) {
    case 'one-outcome': {
      const won = Number(v['won'] ?? 0);
      const lost = Number(v['lost'] ?? 0);
      if (won === 0 && lost === 0) return t('suggest.note.noOutcomes');
      return t(won > 0 ? 'suggest.note.onlyWon' : 'suggest.note.onlyLost', { count: integer(f, won > 0 ? won : lost) });
    }
    case 'too-few-leads':
      return t('suggest.note.tooFewLeads', { count: integer(f, Number(v['won'] ?? 0) + Number(v['lost'] ?? 0)) });
    case 'no-better':
      return t('suggest.note.noBetter', { from: String(v['from']), suggested: String(v['suggested']), current: String(v['current']) });
    case 'few-held-out':
      return t('suggest.note.fewHeldOut', { leads: integer(f, v['leads']), minimum: integer(f, v['minimum']) });
    case 'open-leads':
      return t('suggest.note.openLeads', { open: integer(f, v['open']), total: integer(f, v['total']) });
    case 'rules-dropped':
      return t('suggest.note.rulesDropped', { from: String(v['from']), rules: String(v['rules']) });
    case 'not-converged':
      return t('suggest.note.notConverged', { iterations: integer(f, v['iterations']) });
    default:
      return note.message;
  }
}
