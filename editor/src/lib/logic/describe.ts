/** Conditions in words ("Total score ≥ MQL threshold"), for the lifecycle diagram, the rule tables and the preview. */
import type { Translate } from '../i18n/translate';
import { fromLogic, type LogicNode, type Operand, type Scalar } from './conditions';
import { BAND_NAMES, STAGE_NAMES, eventTypeLabel, fieldLabel } from './fields';

type EventTypes = ReadonlyArray<{ type: string; label: string }>;

const SYMBOLS: Record<string, string> = { '==': '=', '!=': '≠', '>': '>', '>=': '≥', '<': '<', '<=': '≤' };

function scalarWords(value: Scalar, field: string, t: Translate, eventTypes: EventTypes): string {
  if (value === null) return t('words.nothing');
  if (typeof value === 'boolean') return value ? t('words.yes') : t('words.no');
  if (typeof value === 'string') {
    if (field === 'band' && (BAND_NAMES as readonly string[]).includes(value)) return t(`band.${value as (typeof BAND_NAMES)[number]}`);
    if (field === 'lead.stage' && (STAGE_NAMES as readonly string[]).includes(value))
      return t(`stage.${value as (typeof STAGE_NAMES)[number]}`);
    if (field === 'event.type') return eventTypeLabel(value, t, eventTypes);
    return `“${value}”`;
  }
  return String(value);
}

function operandWords(operand: Operand, field: string, t: Translate, eventTypes: EventTypes): string {
  switch (operand.kind) {
    case 'field':
      return fieldLabel(operand.field, t, eventTypes);
    case 'value':
      return scalarWords(operand.value, field, t, eventTypes);
    case 'list':
      return operand.values.map((v) => scalarWords(v, field, t, eventTypes)).join(t('words.listSeparator'));
    case 'none':
      return '';
  }
}

/** One node in words; nested groups are put in brackets. */
export function describeNode(node: LogicNode, t: Translate, eventTypes: EventTypes = [], nested = false): string {
  switch (node.kind) {
    case 'custom':
      return t('words.custom', { logic: JSON.stringify(node.logic) });
    case 'group': {
      if (node.children.length === 0) return node.negated ? t('words.never') : t('words.always');
      const joiner = node.combinator === 'and' ? t('words.and') : t('words.or');
      const text = node.children.map((child) => describeNode(child, t, eventTypes, true)).join(` ${joiner} `);
      if (node.negated) return t('words.not', { condition: `(${text})` });
      return nested && node.children.length > 1 ? `(${text})` : text;
    }
    case 'condition': {
      const field = fieldLabel(node.field, t, eventTypes);
      const operand = operandWords(node.operand, node.field, t, eventTypes);
      switch (node.operator) {
        case 'truthy':
          return t('words.isTrue', { field });
        case 'falsy':
          return t('words.isFalse', { field });
        case 'in':
          return t('words.isOneOf', { field, values: operand });
        case 'not_in':
          return t('words.isNoneOf', { field, values: operand });
        case 'contains':
          return t('words.contains', { field, value: operand });
        default:
          return `${field} ${SYMBOLS[node.operator]} ${operand}`;
      }
    }
  }
}

/** A rule's condition (JSON-Logic, or undefined for none) in words. */
export function describeLogic(logic: unknown, t: Translate, eventTypes: EventTypes = []): string {
  if (logic === undefined) return t('words.always');
  return describeNode(fromLogic(logic), t, eventTypes);
}
