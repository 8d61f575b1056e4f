/**
 * The server's rule-set differences in the reader's language: one line per
 * change ("Webinar attended: 20 → 25 points") and the value before and after
 * in words, for the side-by-side view.
 */
import type { RuleSetChange, RuleSetDefinition } from '../api';
import type { MessageKey, Translate } from '../i18n/translate';
import { hasMessage } from '../i18n/translate';
import { describeLogic } from './describe';
import { eventTypeLabel } from './fields';

export interface ChangeText {
  section: RuleSetChange['section'];
  text: string;
  before: string;
  after: string;
}

type Item = { id?: string; type?: string; label: string };

function itemsOf(definition: RuleSetDefinition, section: RuleSetChange['section'], id: string | undefined): Item[] {
  switch (section) {
    case 'eventTypes':
      return definition.eventTypes;
    case 'scoring':
      return definition.scoring;
    case 'lifecycle':
      return definition.lifecycle.transitions;
    case 'routing':
      return id === 'default' ? [{ ...definition.routing.default, id: 'default' }] : definition.routing.rules;
    default:
      return [];
  }
}

function findItem(definition: RuleSetDefinition, change: RuleSetChange): Item | undefined {
  return itemsOf(definition, change.section, change.id).find((item) => (item.id ?? item.type) === change.id);
}

const NUMBER_LABELS: Record<string, MessageKey> = {
  mql: 'field.thresholds.mql',
  reactivation: 'field.thresholds.reactivation',
  dormantAfterDays: 'field.timing.dormantAfterDays',
  customerDormantAfterDays: 'field.timing.customerDormantAfterDays',
  recycleLostAfterDays: 'field.timing.recycleLostAfterDays',
  hot: 'diff.hot',
  warm: 'diff.warm',
  halfLifeDays: 'diff.halfLife',
  recentActivityCount: 'diff.recentActivityCount',
};

/** A field's value in words. */
function valueWords(
  field: string | undefined,
  value: unknown,
  t: Translate,
  eventTypes: ReadonlyArray<{ type: string; label: string }>,
): string {
  if (value === undefined) return '—';
  switch (field) {
    case 'when':
      return describeLogic(value, t, eventTypes);
    case 'on':
      return Array.isArray(value)
        ? value
            .map((v) =>
              v === 'activity' ? t('trigger.activity') : v === 'time' ? t('trigger.time') : eventTypeLabel(String(v), t, eventTypes),
            )
            .join(', ')
        : String(value);
    case 'from':
      return Array.isArray(value) ? value.map((s) => stageWords(String(s), t)).join(', ') : String(value);
    case 'to':
      return stageWords(String(value), t);
    case 'approach':
      return hasMessage(`approach.${String(value)}`) ? t(`approach.${String(value)}` as MessageKey) : String(value);
    case 'kind':
      return hasMessage(`kind.${String(value)}`) ? t(`kind.${String(value)}` as MessageKey) : String(value);
    case 'caps': {
      const caps = (value ?? {}) as { maxTimes?: number; maxPoints?: number };
      const parts = [];
      if (caps.maxTimes !== undefined) parts.push(`${t('scoring.maxTimes')} ${caps.maxTimes}`);
      if (caps.maxPoints !== undefined) parts.push(`${t('scoring.maxPoints')} ${caps.maxPoints}`);
      return parts.join(', ') || '—';
    }
    case 'halfLifeDays':
      return value === null ? t('diff.noDecay') : String(value);
    default:
      return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
  }
}

function stageWords(stage: string, t: Translate): string {
  return hasMessage(`stage.${stage}`) ? t(`stage.${stage}` as MessageKey) : stage;
}

function nounOf(change: RuleSetChange, t: Translate): string {
  if (change.id === 'default') return t('diff.noun.default');
  const key = `diff.noun.${change.section}`;
  return hasMessage(key) ? t(key) : change.section;
}

/** One change in words, with the values on each side. */
export function describeChange(change: RuleSetChange, a: RuleSetDefinition, b: RuleSetDefinition, t: Translate): ChangeText {
  const item = findItem(b, change) ?? findItem(a, change);
  const eventTypes = b.eventTypes;
  const label = change.section === 'eventTypes' && change.id ? eventTypeLabel(change.id, t, eventTypes) : (item?.label ?? change.id ?? '');
  const base = { section: change.section };

  if (change.kind === 'added') return { ...base, text: t('diff.added', { noun: nounOf(change, t), label }), before: '—', after: label };
  if (change.kind === 'removed') return { ...base, text: t('diff.removed', { noun: nounOf(change, t), label }), before: label, after: '—' };
  if (change.kind === 'moved') {
    const from = String(change.before);
    const to = String(change.after);
    return { ...base, text: t('diff.moved', { noun: nounOf(change, t), label, from, to }), before: `#${from}`, after: `#${to}` };
  }

  const before = valueWords(change.field, change.before, t, a.eventTypes);
  const after = valueWords(change.field, change.after, t, eventTypes);
  if (change.id === undefined && change.field && NUMBER_LABELS[change.field]) {
    return { ...base, text: t('diff.value', { label: t(NUMBER_LABELS[change.field]!), from: before, to: after }), before, after };
  }
  if (change.field === 'points') return { ...base, text: t('diff.points', { label, from: before, to: after }), before, after };
  const fieldKey = `diffField.${change.field ?? ''}`;
  const field = hasMessage(fieldKey) ? t(fieldKey) : (change.field ?? '');
  return { ...base, text: t('diff.field', { label, field, from: before, to: after }), before, after };
}
