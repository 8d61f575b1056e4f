import { describe, expect, it } from 'vitest';
import { createFormatters, createTranslator } from '../../../editor/src/lib/i18n/translate';
import { addDays, lastDays, periodRequest, suggestionNoteText } from '../../../editor/src/lib/logic/suggestion';

const en = createTranslator('en');
const ja = createTranslator('ja');
const f = createFormatters('en');

describe('the period a suggestion reads', () => {
  it('is the last days of data, both ends included, ending on the day of the last stored event', () => {
    const last = new Date(2026, 10, 20, 15, 30).toISOString();
    expect(lastDays(last, 180)).toEqual({ from: '2026-05-25', to: '2026-11-20' });
    expect(lastDays(last, 1)).toEqual({ from: '2026-11-20', to: '2026-11-20' });
  });

  it('ends today when no event is stored', () => {
    expect(lastDays(null, 90, new Date(2026, 0, 31))).toEqual({ from: '2025-11-03', to: '2026-01-31' });
  });

  it('is asked for from the start of its first day to the end of its last, local time', () => {
    expect(periodRequest('2026-02-27', '2026-02-28')).toEqual({
      since: new Date(2026, 1, 27).toISOString(),
      until: new Date(2026, 2, 1).toISOString(),
    });
    expect(periodRequest('', '')).toEqual({});
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
  });
});

describe("a suggestion's notes in words", () => {
  const note = (code: string, values: Record<string, string | number>) => ({ code, message: `server: ${code}`, values });

  it('says why a history with one outcome was refused, and what to import', () => {
    expect(suggestionNoteText(en, f, note('one-outcome', { won: 31, lost: 0, total: 40 }))).toBe(
      'All 31 leads with an outcome in the period were won, none lost: suggest needs both to learn what separates them. Import the lost deals (deal_lost events) too, or pick a period that has both.',
    );
    expect(suggestionNoteText(en, f, note('one-outcome', { won: 0, lost: 2, total: 9 }))).toContain('All 2 leads');
    expect(suggestionNoteText(en, f, note('one-outcome', { won: 0, lost: 0, total: 9 }))).toContain('No lead in the period has an outcome');
    expect(suggestionNoteText(ja, f, note('one-outcome', { won: 31, lost: 0, total: 40 }))).toContain('31 件のリードはすべて成約');
  });

  it('puts the figures into the small-sample note in both languages', () => {
    expect(suggestionNoteText(en, f, note('few-held-out', { leads: 9, minimum: 30 }))).toBe(
      'Only 9 leads were held out to judge the tables, fewer than 30: the AUCs are wide guesses. Pick a longer period.',
    );
    expect(suggestionNoteText(ja, f, note('few-held-out', { leads: 9, minimum: 30 }))).toContain('9 件');
  });

  it("shows the server's message for a note it does not know", () => {
    expect(suggestionNoteText(en, f, note('something-new', {}))).toBe('server: something-new');
  });
});
