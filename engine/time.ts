/**
 * Reading times: ISO 8601 text to epoch milliseconds, fast for the one form
 * the engine writes (`2026-03-02T09:00:00.000Z`) and by Date.parse for any
 * other, with the last few answers remembered, since applying an event reads
 * the same few times again and again.
 */

/** Days from 1970-01-01 to a civil date (proleptic Gregorian), after H. Hinnant's days_from_civil. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The digits of `text` from `from`, `length` of them, as a number; -1 if any is not a digit. */
function digits(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Epoch milliseconds of a time in the engine's own format
 * (`2026-03-02T09:00:00.000Z`, which every time it writes has), read digit by
 * digit, several times faster than Date.parse; NaN for any other form.
 */
function parseCanonicalTime(text: string): number {
  if (
    text.length === 24 &&
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58 &&
    text.charCodeAt(19) === 46 && // .
    text.charCodeAt(23) === 90 // Z
  ) {
    const year = digits(text, 0, 4);
    const month = digits(text, 5, 2);
    const day = digits(text, 8, 2);
    const hour = digits(text, 11, 2);
    const minute = digits(text, 14, 2);
    const second = digits(text, 17, 2);
    const ms = digits(text, 20, 3);
    if (
      year >= 0 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= 31 &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59 &&
      ms >= 0
    ) {
      // A day past the month's end (Feb 30) is left to Date.parse, which rejects it.
      if (day <= 28 || day <= daysInMonth(year, month)) {
        return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms;
      }
    }
  }
  return NaN;
}

/**
 * The last times read, with their text. Applying an event reads the same few
 * times again and again (the event's, the lead's last activity, its time in
 * stage, usually earlier events' times), so most reads are answered here.
 * Only a cache: the result is the same either way.
 */
const RECENT_TIMES = 4;
const recentTexts: string[] = new Array<string>(RECENT_TIMES).fill('');
const recentTimes = new Float64Array(RECENT_TIMES).fill(NaN);
/** Whether each remembered text is in the engine's own format (see {@link parseCanonicalTime}). */
const recentCanonical: boolean[] = new Array<boolean>(RECENT_TIMES).fill(false);
let nextRecent = 0;

/** Position of `text` among the remembered times, reading it if it is not there. */
function recall(text: string): number {
  for (let i = 0; i < RECENT_TIMES; i++) if (recentTexts[i] === text) return i;
  let time = parseCanonicalTime(text);
  const canonical = !Number.isNaN(time);
  if (!canonical) time = Date.parse(text);
  const slot = nextRecent;
  nextRecent = (nextRecent + 1) % RECENT_TIMES;
  recentTexts[slot] = text;
  recentTimes[slot] = time;
  recentCanonical[slot] = canonical;
  return slot;
}

/** Epoch milliseconds of an ISO time: the canonical form read fast, any other by Date.parse. */
export function parseTime(text: string): number {
  return recentTimes[recall(text)]!;
}

/** A time in the engine's one format. */
export function iso(time: number): string {
  return new Date(time).toISOString();
}

/** `text`, a time read as `time`, in the engine's one format: itself when it already is (most are), else rewritten. */
export function canonicalTime(text: string, time: number): string {
  return recentCanonical[recall(text)] ? text : iso(time);
}
