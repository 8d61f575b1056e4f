/**
 * Adapter for the UCI Bank Marketing data (bank-additional-full.csv, CC BY 4.0;
 * S. Moro, P. Cortez and P. Rita, "A Data-Driven Approach to Predict the
 * Success of Bank Telemarketing", Decision Support Systems, 2014): one row per
 * client contacted in a phone campaign, rows in date order from May 2008 to
 * November 2010, the real `y` label. Every mapping choice is explained in
 * docs/import.md; the short version:
 * - the client and the economic context → attributes; a success in a previous
 *   campaign → a past won deal (`pastDeals`), so the client is a customer;
 * - `campaign` (contacts in this campaign, the last included) → that many
 *   phone calls, the last on the row's reconstructed date;
 * - `y` → deal_won (yes) or deal_lost (no) when the last call ends; `duration`
 *   (known only once the call is over) travels on that outcome event only.
 */
import type { LeadEvent } from '../../engine/index';
import { readHeader } from './csv';
import { readCsvText, type CsvFormat, type ImportRow, type ImportedLead } from './format';

/** The fixed choices behind the synthetic timeline (the source has month and weekday, no year or day). */
export const BANK_MARKETING_TIMELINE = {
  /** Year of the first row; the year advances whenever the month goes back (the rows are in date order). */
  firstYear: 2008,
  /** A day's first call is at this hour (UTC); the day's later rows follow in file order. */
  firstCallHourUtc: 9,
  secondsBetweenRows: 30,
  /** Earlier contacts of the same campaign are this many days apart, before the last one. */
  daysBetweenContacts: 1,
} as const;

/** `pdays` value meaning "not contacted in a previous campaign". */
const NOT_PREVIOUSLY_CONTACTED = 999;
const MS_PER_DAY = 86_400_000;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** In the order of JavaScript's getUTCDay(). */
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const COLUMNS = [
  'age',
  'job',
  'marital',
  'education',
  'default',
  'housing',
  'loan',
  'contact',
  'month',
  'day_of_week',
  'duration',
  'campaign',
  'pdays',
  'previous',
  'poutcome',
  'emp.var.rate',
  'cons.price.idx',
  'cons.conf.idx',
  'euribor3m',
  'nr.employed',
  'y',
] as const;
type Column = (typeof COLUMNS)[number];

/** Economic context at the time of the contact: attribute name ← column. */
const ECONOMY = {
  employmentVariationRate: 'emp.var.rate',
  consumerPriceIndex: 'cons.price.idx',
  consumerConfidenceIndex: 'cons.conf.idx',
  euribor3m: 'euribor3m',
  employees: 'nr.employed',
} as const;

class RowProblem extends Error {}

type Cells = (column: Column) => string;

function integer(cells: Cells, column: Column, min: number): number {
  const text = cells(column);
  if (!/^-?\d+$/.test(text) || Number(text) < min) throw new RowProblem(`${column}: not a whole number ≥ ${min}: "${text}"`);
  return Number(text);
}

function decimal(cells: Cells, column: Column): number {
  const text = cells(column);
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) throw new RowProblem(`${column}: not a number: "${text}"`);
  return value;
}

function oneOf<T extends string>(cells: Cells, column: Column, allowed: readonly T[]): T {
  const text = cells(column);
  if (!(allowed as readonly string[]).includes(text))
    throw new RowProblem(`${column}: expected one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

/** "yes"/"no" as a boolean; "unknown" (the source's missing value) as absent. */
function yesNoUnknown(cells: Cells, column: Column): boolean | undefined {
  const value = oneOf(cells, column, ['yes', 'no', 'unknown']);
  return value === 'unknown' ? undefined : value === 'yes';
}

function category(cells: Cells, column: Column): string | undefined {
  const value = cells(column);
  if (value === '') throw new RowProblem(`${column}: empty`);
  return value === 'unknown' ? undefined : value;
}

/**
 * Reconstructs each row's date from month and weekday, walking the rows in
 * file order: a month earlier than the previous row's starts a new year; a
 * new month starts on its first day with the row's weekday; a change of
 * weekday moves to the next date with that weekday.
 */
class Calendar {
  private year: number = BANK_MARKETING_TIMELINE.firstYear;
  private month: number | null = null;
  private weekday: number | null = null;
  private date = 0;
  private rowsToday = 0;

  /** Time of the next row's contact. */
  next(month: number, weekday: number): number {
    if (this.month !== null && month < this.month) this.year++;
    if (month !== this.month) {
      this.date = Date.UTC(this.year, month, 1);
      this.date += ((weekday - new Date(this.date).getUTCDay() + 7) % 7) * MS_PER_DAY;
      this.rowsToday = 0;
    } else if (weekday !== this.weekday) {
      this.date += ((weekday - new Date(this.date).getUTCDay() + 7) % 7 || 7) * MS_PER_DAY;
      this.rowsToday = 0;
    }
    this.month = month;
    this.weekday = weekday;
    const { firstCallHourUtc, secondsBetweenRows } = BANK_MARKETING_TIMELINE;
    return this.date + firstCallHourUtc * 3_600_000 + this.rowsToday++ * secondsBetweenRows * 1000;
  }
}

/** An event built from values already checked, in the shape leadEventSchema accepts. */
function event(id: string, leadId: string, type: string, time: number, properties: Record<string, unknown>): LeadEvent {
  return { id, leadId, type, occurredAt: new Date(time).toISOString(), properties };
}

/** Reads the values of one row; throws a RowProblem for a value it cannot read. Nothing here depends on other rows. */
function readRow(cells: Cells) {
  return {
    month: MONTHS.indexOf(oneOf(cells, 'month', MONTHS)),
    weekday: WEEKDAYS.indexOf(oneOf(cells, 'day_of_week', WEEKDAYS)),
    age: integer(cells, 'age', 0),
    duration: integer(cells, 'duration', 0),
    campaign: integer(cells, 'campaign', 1),
    pdays: integer(cells, 'pdays', 0),
    previous: integer(cells, 'previous', 0),
    poutcome: oneOf(cells, 'poutcome', ['success', 'failure', 'nonexistent']),
    contact: oneOf(cells, 'contact', ['cellular', 'telephone']),
    y: oneOf(cells, 'y', ['yes', 'no']),
    attributes: {
      job: category(cells, 'job'),
      maritalStatus: category(cells, 'marital'),
      education: category(cells, 'education'),
      creditInDefault: yesNoUnknown(cells, 'default'),
      housingLoan: yesNoUnknown(cells, 'housing'),
      personalLoan: yesNoUnknown(cells, 'loan'),
      ...Object.fromEntries(Object.entries(ECONOMY).map(([name, column]) => [name, decimal(cells, column)])),
    },
  };
}

function leadFromRow(row: ReturnType<typeof readRow>, leadId: string, lastContact: number): ImportedLead {
  const { daysBetweenContacts } = BANK_MARKETING_TIMELINE;
  const firstContact = lastContact - (row.campaign - 1) * daysBetweenContacts * MS_PER_DAY;
  const previousContact = row.pdays === NOT_PREVIOUSLY_CONTACTED ? null : lastContact - row.pdays * MS_PER_DAY;

  const attributes: Record<string, unknown> = {
    age: row.age,
    phoneType: row.contact,
    previousContacts: row.previous,
    previousOutcome: row.poutcome,
  };
  for (const [name, value] of Object.entries(row.attributes)) if (value !== undefined) attributes[name] = value;
  if (row.pdays !== NOT_PREVIOUSLY_CONTACTED) attributes['daysSincePreviousContact'] = row.pdays;
  if (row.poutcome === 'success') {
    attributes['pastDeals'] = [previousContact === null ? {} : { closedAt: new Date(previousContact).toISOString() }];
  }

  const events: LeadEvent[] = [];
  for (let contact = 1; contact <= row.campaign; contact++) {
    const at = lastContact - (row.campaign - contact) * daysBetweenContacts * MS_PER_DAY;
    events.push(event(`${leadId}:call-${contact}`, leadId, 'phone_call', at, { channel: row.contact, contact }));
  }
  const outcomeAt = lastContact + row.duration * 1000;
  const outcome =
    row.y === 'yes'
      ? event(`${leadId}:outcome`, leadId, 'deal_won', outcomeAt, { y: row.y, callSeconds: row.duration })
      : event(`${leadId}:outcome`, leadId, 'deal_lost', outcomeAt, { reason: 'did not subscribe', y: row.y, callSeconds: row.duration });

  return {
    leadId,
    attributes: event(`${leadId}:attributes`, leadId, 'lead_updated', firstContact, attributes),
    events,
    outcomes: [outcome],
    label: { column: 'y', value: row.y },
  };
}

/**
 * bank-additional-full.csv (`;`-separated, quoted strings): one lead per row,
 * id `bank-` and the row's position among data rows (zero-padded), or the
 * row's line and why it was rejected. A rejected row does not advance the
 * calendar. A header that is not the documented one rejects line 1 and stops.
 */
export function bankMarketingFormat(): CsvFormat<ImportedLead> {
  return {
    delimiter: ';',
    header: (header) => {
      const read = readHeader(header, COLUMNS);
      if ('rejected' in read) return read;
      const { index, width } = read;
      const calendar = new Calendar();
      let position = 0;
      return {
        read: (row) => {
          position++;
          if (!row.ok) return row;
          if (row.fields.length !== width)
            return { ok: false, line: row.line, reason: `expected ${width} fields, found ${row.fields.length}` };
          const cells: Cells = (column) => row.fields[index.get(column)!]!.trim();
          let values: ReturnType<typeof readRow>;
          try {
            values = readRow(cells);
          } catch (error) {
            if (!(error instanceof RowProblem)) throw error;
            return { ok: false, line: row.line, reason: error.message };
          }
          const leadId = `bank-${String(position).padStart(5, '0')}`;
          return { ok: true, line: row.line, value: leadFromRow(values, leadId, calendar.next(values.month, values.weekday)) };
        },
      };
    },
  };
}

/** Reads bank-additional-full.csv text: see {@link bankMarketingFormat}. */
export function readBankMarketing(text: string): Generator<ImportRow<ImportedLead>> {
  return readCsvText(text, bankMarketingFormat());
}
