/**
 * Adapter for the X Education lead-scoring data (Leads.csv): one row per lead,
 * aggregated activity without dates, the real `Converted` label. Every mapping
 * choice is explained in docs/import.md; the short version:
 * - who the lead is (origin, source, occupation, …) → attributes at first touch;
 * - TotalVisits → that many site visits; Last Activity (and Last Notable
 *   Activity when it differs) → one activity where its meaning is faithful;
 *   the free copy of "Mastering The Interview" → a document download;
 * - Converted → deal_won (1) or deal_lost (0); Tags, Lead Quality and other
 *   columns written while sales worked the lead travel on that outcome event,
 *   never as attributes, so no version can score on them.
 */
import type { LeadEvent } from '../../engine/index';
import { readHeader } from './csv';
import { readCsvText, type CsvFormat, type ImportRow, type ImportedLead } from './format';

/** The fixed choices behind the synthetic timeline (the source has no dates). */
export const X_EDUCATION_TIMELINE = {
  /** A lead's first touch is `Lead Number` minutes after this instant: lead numbers are assigned in arrival order. */
  origin: '2019-01-01T00:00:00.000Z',
  /** A lead's activities are spread evenly over this many days after its first touch, Last Activity last. */
  activityDays: 14,
  /** The outcome is known this many days after the first touch, after every activity. */
  outcomeDays: 30,
} as const;

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

/** Values that mean "nothing chosen". */
const MISSING = new Set(['', 'Select']);

/** Attributes known from the first touch: attribute name ← column. */
const TEXT_ATTRIBUTES = {
  leadOrigin: 'Lead Origin',
  leadSource: 'Lead Source',
  country: 'Country',
  city: 'City',
  specialization: 'Specialization',
  heardFrom: 'How did you hear about X Education',
  occupation: 'What is your current occupation',
  courseChoiceReason: 'What matters most to you in choosing a course',
} as const;

const YES_NO_ATTRIBUTES = {
  doNotEmail: 'Do Not Email',
  doNotCall: 'Do Not Call',
  sawAdInSearch: 'Search',
  sawAdInMagazine: 'Magazine',
  sawAdInNewspaperArticle: 'Newspaper Article',
  sawAdInForums: 'X Education Forums',
  sawAdInNewspaper: 'Newspaper',
  sawDigitalAdvertisement: 'Digital Advertisement',
  cameThroughRecommendation: 'Through Recommendations',
  wantsCourseUpdates: 'Receive More Updates About Our Courses',
  wantsSupplyChainUpdates: 'Update me on Supply Chain Content',
  wantsDmUpdates: 'Get updates on DM Content',
  agreesToPayByCheque: 'I agree to pay the amount through cheque',
} as const;

/** Written while sales worked the lead, or of unknown timing: carried on the outcome event only. */
const OUTCOME_PROPERTIES = {
  tags: 'Tags',
  leadQuality: 'Lead Quality',
  leadProfile: 'Lead Profile',
  asymmetriqueActivityIndex: 'Asymmetrique Activity Index',
  asymmetriqueProfileIndex: 'Asymmetrique Profile Index',
  asymmetriqueActivityScore: 'Asymmetrique Activity Score',
  asymmetriqueProfileScore: 'Asymmetrique Profile Score',
  lastActivity: 'Last Activity',
  lastNotableActivity: 'Last Notable Activity',
  totalVisits: 'TotalVisits',
  totalTimeSpentOnWebsite: 'Total Time Spent on Website',
  pageViewsPerVisit: 'Page Views Per Visit',
} as const;

/** Last Activity values with a faithful activity type of rules/v1.json; the others are not activities of the lead. */
export const X_EDUCATION_ACTIVITIES: Readonly<Record<string, string>> = {
  'Email Opened': 'email_open',
  'View in browser link Clicked': 'email_open',
  'Email Link Clicked': 'email_click',
  Unsubscribed: 'email_unsubscribe',
  'Page Visited on Website': 'site_visit',
  'Form Submitted on Website': 'contact_request',
  'Olark Chat Conversation': 'chat_conversation',
  'Had a Phone Conversation': 'phone_call',
};

const COLUMNS = {
  prospectId: 'Prospect ID',
  leadNumber: 'Lead Number',
  converted: 'Converted',
  totalVisits: 'TotalVisits',
  timeOnWebsite: 'Total Time Spent on Website',
  pageViewsPerVisit: 'Page Views Per Visit',
  lastActivity: 'Last Activity',
  lastNotableActivity: 'Last Notable Activity',
  freeCopy: 'A free copy of Mastering The Interview',
} as const;

const REQUIRED_COLUMNS = [
  ...Object.values(COLUMNS),
  ...Object.values(TEXT_ATTRIBUTES),
  ...Object.values(YES_NO_ATTRIBUTES),
  ...Object.values(OUTCOME_PROPERTIES),
];

class RowProblem extends Error {}

type Cells = (column: string) => string;

function wholeNumber(cells: Cells, column: string): number | null {
  const text = cells(column);
  if (text === '') return null;
  if (!/^\d+$/.test(text)) throw new RowProblem(`${column}: not a whole number ≥ 0: "${text}"`);
  return Number(text);
}

function decimal(cells: Cells, column: string): number | null {
  const text = cells(column);
  if (text === '') return null;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(value)) throw new RowProblem(`${column}: not a number ≥ 0: "${text}"`);
  return value;
}

function yesNo(cells: Cells, column: string): boolean | undefined {
  const text = cells(column);
  if (text === 'Yes') return true;
  if (text === 'No') return false;
  if (text === '') return undefined;
  throw new RowProblem(`${column}: expected "Yes" or "No", got "${text}"`);
}

/** An event built from values already checked, in the shape leadEventSchema accepts. */
function event(id: string, leadId: string, type: string, time: number, properties: Record<string, unknown>): LeadEvent {
  return { id, leadId, type, occurredAt: new Date(time).toISOString(), properties };
}

/** Turns one row into a lead; throws a RowProblem for a value it cannot read. */
function leadFromRow(cells: Cells): ImportedLead {
  const leadId = cells(COLUMNS.prospectId);
  if (!leadId) throw new RowProblem(`${COLUMNS.prospectId}: empty`);
  const leadNumber = wholeNumber(cells, COLUMNS.leadNumber);
  if (leadNumber === null) throw new RowProblem(`${COLUMNS.leadNumber}: empty`);
  const converted = cells(COLUMNS.converted);
  if (converted !== '0' && converted !== '1') throw new RowProblem(`${COLUMNS.converted}: expected 0 or 1, got "${converted}"`);
  const visits = wholeNumber(cells, COLUMNS.totalVisits) ?? 0;
  const timeOnWebsite = decimal(cells, COLUMNS.timeOnWebsite);
  const pageViewsPerVisit = decimal(cells, COLUMNS.pageViewsPerVisit);
  const freeCopy = yesNo(cells, COLUMNS.freeCopy);

  const firstTouch = Date.parse(X_EDUCATION_TIMELINE.origin) + leadNumber * MS_PER_MINUTE;
  const attributes: Record<string, unknown> = { leadNumber };
  for (const [name, column] of Object.entries(TEXT_ATTRIBUTES)) {
    const value = cells(column);
    if (!MISSING.has(value)) attributes[name] = value;
  }
  for (const [name, column] of Object.entries(YES_NO_ATTRIBUTES)) {
    const value = yesNo(cells, column);
    if (value !== undefined) attributes[name] = value;
  }

  // Activities in order: the visits, then the last notable activity if it is another one, then the last activity.
  const activities: Array<{ key: string; type: string; properties: Record<string, unknown> }> = [];
  const visit: Record<string, unknown> = {};
  if (timeOnWebsite !== null && visits > 0) visit['seconds'] = Math.round(timeOnWebsite / visits);
  if (pageViewsPerVisit !== null) visit['pageViews'] = pageViewsPerVisit;
  for (let i = 1; i <= visits; i++) activities.push({ key: `visit-${i}`, type: 'site_visit', properties: visit });
  const last = cells(COLUMNS.lastActivity);
  const notable = cells(COLUMNS.lastNotableActivity);
  const mapped = (value: string) => {
    const type = X_EDUCATION_ACTIVITIES[value];
    // A page visit as last activity is the last of the TotalVisits visits, unless none were counted.
    return type === 'site_visit' && visits > 0 ? undefined : type;
  };
  const notableType = notable !== last ? mapped(notable) : undefined;
  if (notableType) activities.push({ key: 'last-notable-activity', type: notableType, properties: { activity: notable } });
  const lastType = mapped(last);
  if (lastType) activities.push({ key: 'last-activity', type: lastType, properties: { activity: last } });

  const events: LeadEvent[] = [];
  if (freeCopy) events.push(event(`${leadId}:free-copy`, leadId, 'document_download', firstTouch, { title: 'Mastering The Interview' }));
  const spacing = (X_EDUCATION_TIMELINE.activityDays * MS_PER_DAY) / Math.max(1, activities.length);
  activities.forEach((activity, i) => {
    const at = firstTouch + Math.round((i + 1) * spacing);
    events.push(event(`${leadId}:${activity.key}`, leadId, activity.type, at, activity.properties));
  });

  const feedback: Record<string, unknown> = { converted };
  for (const [name, column] of Object.entries(OUTCOME_PROPERTIES)) {
    const value = cells(column);
    if (!MISSING.has(value)) feedback[name] = value;
  }
  const tags = feedback['tags'];
  const outcome =
    converted === '1'
      ? { type: 'deal_won', properties: feedback }
      : { type: 'deal_lost', properties: { reason: typeof tags === 'string' ? tags : 'not converted', ...feedback } };
  const outcomeAt = firstTouch + X_EDUCATION_TIMELINE.outcomeDays * MS_PER_DAY;

  return {
    leadId,
    attributes: event(`${leadId}:attributes`, leadId, 'lead_updated', firstTouch, attributes),
    events,
    outcomes: [event(`${leadId}:outcome`, leadId, outcome.type, outcomeAt, outcome.properties)],
    label: { column: COLUMNS.converted, value: converted },
  };
}

/**
 * X Education's Leads.csv (CRLF, a trailing comma on every line): one lead
 * per row, or the row's line and why it was rejected. A header missing a
 * column rejects line 1 and stops.
 */
export function xEducationFormat(): CsvFormat<ImportedLead> {
  return {
    delimiter: ',',
    header: (header) => {
      const read = readHeader(header, REQUIRED_COLUMNS);
      if ('rejected' in read) return read;
      const { index, width } = read;
      const firstLineOf = new Map<string, number>();
      return {
        read: (row) => {
          if (!row.ok) return row;
          if (row.fields.length !== width)
            return { ok: false, line: row.line, reason: `expected ${width} fields, found ${row.fields.length}` };
          const cells: Cells = (column) => row.fields[index.get(column)!]!.trim();
          try {
            const lead = leadFromRow(cells);
            const seen = firstLineOf.get(lead.leadId);
            if (seen !== undefined) throw new RowProblem(`${COLUMNS.prospectId}: "${lead.leadId}" already on line ${seen}`);
            firstLineOf.set(lead.leadId, row.line);
            return { ok: true, line: row.line, value: lead };
          } catch (error) {
            if (!(error instanceof RowProblem)) throw error;
            return { ok: false, line: row.line, reason: error.message };
          }
        },
      };
    },
  };
}

/** Reads X Education's Leads.csv text: see {@link xEducationFormat}. */
export function readXEducation(text: string): Generator<ImportRow<ImportedLead>> {
  return readCsvText(text, xEducationFormat());
}
