/** Typed events for the live preview: a starting sequence and the conversion of the form's local times. */

export interface SampleEvent {
  type: string;
  /** A `datetime-local` value: local time, "YYYY-MM-DDTHH:mm". */
  at: string;
}

const MS_PER_DAY = 86_400_000;

/** A `datetime-local` value for a time. */
export function toLocalInput(time: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}T${pad(time.getHours())}:${pad(time.getMinutes())}`;
}

/** ISO 8601 (UTC) for a `datetime-local` value. */
export function toIso(local: string): string {
  return new Date(local).toISOString();
}

/** A plausible first sequence: a visit, a click, a webinar, a demo request over the last ten days. */
export function sampleEvents(now: Date): SampleEvent[] {
  const daysAgo = (days: number) => toLocalInput(new Date(now.getTime() - days * MS_PER_DAY));
  return [
    { type: 'site_visit', at: daysAgo(10) },
    { type: 'email_click', at: daysAgo(7) },
    { type: 'webinar_attended', at: daysAgo(3) },
    { type: 'demo_request', at: daysAgo(1) },
  ];
}
