/** How long a handed-off lead has waited, for the sales queue. */

const MS_PER_HOUR = 3_600_000;
const HOURS_PER_DAY = 24;

/** Whole days and hours from `since` to `now` (both zero for a time in the future). */
export function waitingTime(since: string, now: number): { days: number; hours: number } {
  const hours = Math.max(0, Math.floor((now - Date.parse(since)) / MS_PER_HOUR));
  return { days: Math.floor(hours / HOURS_PER_DAY), hours: hours % HOURS_PER_DAY };
}
