/**
 * The fields a condition can read (the data every rule, guard and route sees:
 * event, lead, score, band, history, thresholds, timing), with their types and
 * translated names. Paths the catalogue does not know are shown as written.
 */
import type { MessageKey, Translate } from '../i18n/translate';
import { hasMessage } from '../i18n/translate';

export type FieldType = 'number' | 'text' | 'boolean' | 'band' | 'stage' | 'eventType';
export type FieldGroup = 'lead' | 'score' | 'history' | 'event' | 'limits';

export interface FieldInfo {
  path: string;
  type: FieldType;
  group: FieldGroup;
  label: string;
  /** Values offered in a select, when the field has a fixed set. */
  options?: readonly string[];
}

export const STAGE_NAMES = ['inquiry', 'mql', 'sal', 'sql', 'won', 'lost', 'nurture', 'dormant', 'disqualified'] as const;
export const BAND_NAMES = ['hot', 'warm', 'cold'] as const;

const STATIC_FIELDS: ReadonlyArray<{ path: string; type: FieldType; group: FieldGroup; options?: readonly string[] }> = [
  { path: 'score.total', type: 'number', group: 'score' },
  { path: 'score.engagement', type: 'number', group: 'score' },
  { path: 'score.fit', type: 'number', group: 'score' },
  { path: 'band', type: 'band', group: 'score', options: BAND_NAMES },
  { path: 'lead.stage', type: 'stage', group: 'lead', options: STAGE_NAMES },
  { path: 'lead.customer', type: 'boolean', group: 'lead' },
  { path: 'lead.attributes.role', type: 'text', group: 'lead' },
  { path: 'lead.attributes.companySize', type: 'number', group: 'lead' },
  { path: 'lead.attributes.industry', type: 'text', group: 'lead' },
  { path: 'lead.attributes.country', type: 'text', group: 'lead' },
  { path: 'lead.attributes.company', type: 'text', group: 'lead' },
  { path: 'event.type', type: 'eventType', group: 'event' },
  { path: 'event.properties.title', type: 'text', group: 'event' },
  { path: 'event.properties.question', type: 'text', group: 'event' },
  { path: 'event.properties.amount', type: 'number', group: 'event' },
  { path: 'history.eventCount', type: 'number', group: 'history' },
  { path: 'history.daysInactive', type: 'number', group: 'history' },
  { path: 'history.daysInStage', type: 'number', group: 'history' },
  { path: 'history.daysSinceLastDeal', type: 'number', group: 'history' },
  { path: 'history.webinarQuestions', type: 'number', group: 'history' },
  { path: 'thresholds.mql', type: 'number', group: 'limits' },
  { path: 'thresholds.reactivation', type: 'number', group: 'limits' },
  { path: 'timing.dormantAfterDays', type: 'number', group: 'limits' },
  { path: 'timing.customerDormantAfterDays', type: 'number', group: 'limits' },
  { path: 'timing.recycleLostAfterDays', type: 'number', group: 'limits' },
];

export const COUNT_PREFIX = 'history.counts.';
export const ATTRIBUTE_PREFIX = 'lead.attributes.';
export const PROPERTY_PREFIX = 'event.properties.';

/** Paths every condition can read besides the catalogue's: the whole objects, times and ids. */
export const OTHER_PATHS: readonly string[] = [
  'now',
  'event',
  'event.id',
  'event.occurredAt',
  'event.properties',
  'lead',
  'lead.id',
  'lead.attributes',
  'score',
  'history',
  'history.counts',
  'history.firstSeenAt',
  'history.lastActivityAt',
  'history.lastDealAt',
  'thresholds',
  'timing',
];

/** A lead attribute known beyond the catalogue's: seen in stored leads or read by the stored rule set. */
export interface KnownAttribute {
  name: string;
  /** The type most of its values have; 'other' for lists and objects. */
  type: 'number' | 'text' | 'boolean' | 'other';
}

/** The name of an event type: translated for the types the product knows, else the rule set's label, else the type. */
export function eventTypeLabel(type: string, t: Translate, eventTypes: ReadonlyArray<{ type: string; label: string }> = []): string {
  const key = `eventType.${type}`;
  if (hasMessage(key)) return t(key);
  return eventTypes.find((e) => e.type === type)?.label ?? type;
}

/** The name of any field path. */
export function fieldLabel(path: string, t: Translate, eventTypes: ReadonlyArray<{ type: string; label: string }> = []): string {
  const key = `field.${path}`;
  if (hasMessage(key)) return t(key as MessageKey);
  if (path.startsWith(COUNT_PREFIX))
    return t('field.history.count', { event: eventTypeLabel(path.slice(COUNT_PREFIX.length), t, eventTypes) });
  if (path.startsWith('lead.attributes.')) return t('field.attribute', { name: path.slice('lead.attributes.'.length) });
  if (path.startsWith('event.properties.')) return t('field.property', { name: path.slice('event.properties.'.length) });
  return path;
}

/**
 * Every field offered in the builder: the fixed ones, a count per event type of the rule set, and the
 * other attributes leads are known to have (lists and objects left out: no condition of the form reads them).
 */
export function fieldCatalogue(
  t: Translate,
  eventTypes: ReadonlyArray<{ type: string; label: string }>,
  attributes: readonly KnownAttribute[] = [],
): FieldInfo[] {
  const fields: FieldInfo[] = STATIC_FIELDS.map((f) => ({ ...f, label: fieldLabel(f.path, t, eventTypes) }));
  for (const { type } of eventTypes) {
    const path = `${COUNT_PREFIX}${type}`;
    fields.push({ path, type: 'number', group: 'history', label: fieldLabel(path, t, eventTypes) });
  }
  for (const { name, type } of attributes) {
    const path = `${ATTRIBUTE_PREFIX}${name}`;
    if (type === 'other' || fields.some((f) => f.path === path)) continue;
    fields.push({ path, type, group: 'lead', label: fieldLabel(path, t, eventTypes) });
  }
  return fields;
}

/** A field's type: from the catalogue, else guessed from the path (counts and days are numbers). */
export function fieldType(path: string, catalogue: readonly FieldInfo[]): FieldType {
  const known = catalogue.find((f) => f.path === path);
  if (known) return known.type;
  if (path.startsWith(COUNT_PREFIX) || /days|count|size|amount|score/i.test(path)) return 'number';
  return 'text';
}
