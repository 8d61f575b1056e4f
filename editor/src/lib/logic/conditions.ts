/**
 * The condition builder's model: a tree of and/or groups and simple
 * conditions (field, operator, value), and its translation to and from
 * JSON-Logic. Anything the builder cannot show as a form (a custom operation,
 * arithmetic) is kept untouched as a "custom" node, so opening and saving a
 * rule never changes what it means.
 */

export const OPERATORS = ['==', '!=', '>', '>=', '<', '<=', 'in', 'not_in', 'contains', 'truthy', 'falsy'] as const;
export type Operator = (typeof OPERATORS)[number];

/** Operators that compare a field with something on their right. */
const COMPARISONS = new Set<string>(['==', '!=', '>', '>=', '<', '<=']);

export type Scalar = string | number | boolean | null;

/** What a field is compared with: a fixed value, a list of values, or another field (e.g. a threshold). */
export type Operand =
  { kind: 'value'; value: Scalar } | { kind: 'list'; values: Scalar[] } | { kind: 'field'; field: string } | { kind: 'none' };

export interface ConditionNode {
  kind: 'condition';
  id: string;
  field: string;
  /** The `var` default (`{"var": [field, fallback]}`), kept when the rule had one. */
  fallback?: Scalar;
  operator: Operator;
  operand: Operand;
}

export interface GroupNode {
  kind: 'group';
  id: string;
  combinator: 'and' | 'or';
  /** "None of these" / "not all of these": the group wrapped in `!`. */
  negated: boolean;
  children: LogicNode[];
}

export interface CustomNode {
  kind: 'custom';
  id: string;
  logic: unknown;
}

export type LogicNode = ConditionNode | GroupNode | CustomNode;

let counter = 0;
/** Ids keep list rendering stable while nodes are added, removed and moved. */
export function nodeId(): string {
  counter += 1;
  return `n${counter}`;
}

export function emptyGroup(combinator: 'and' | 'or' = 'and'): GroupNode {
  return { kind: 'group', id: nodeId(), combinator, negated: false, children: [] };
}

export function newCondition(field = 'score.total'): ConditionNode {
  return { kind: 'condition', id: nodeId(), field, operator: '>=', operand: { kind: 'value', value: 0 } };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isScalar(value: unknown): value is Scalar {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** The single operation of a JSON-Logic object, or null when it is not one. */
function operation(logic: unknown): { op: string; args: unknown[] } | null {
  if (!isObject(logic)) return null;
  const keys = Object.keys(logic);
  if (keys.length !== 1) return null;
  const op = keys[0]!;
  const raw = logic[op];
  return { op, args: Array.isArray(raw) ? raw : [raw] };
}

/** A `var` reference: its path and default, when `logic` is one with a plain string path. */
function variable(logic: unknown): { field: string; fallback?: Scalar } | null {
  const found = operation(logic);
  if (!found || found.op !== 'var') return null;
  const [path, fallback, ...rest] = found.args;
  if (typeof path !== 'string' || path === '' || rest.length > 0) return null;
  if (found.args.length === 2) return isScalar(fallback) ? { field: path, fallback } : null;
  return { field: path };
}

function custom(logic: unknown): CustomNode {
  return { kind: 'custom', id: nodeId(), logic };
}

function condition(field: { field: string; fallback?: Scalar }, operator: Operator, operand: Operand): ConditionNode {
  return { kind: 'condition', id: nodeId(), ...field, operator, operand };
}

/** One JSON-Logic rule as a node; whatever has no form becomes a custom node. */
export function fromLogic(logic: unknown): LogicNode {
  const found = operation(logic);
  if (!found) return custom(logic);
  const { op, args } = found;

  if ((op === 'and' || op === 'or') && Array.isArray((logic as Record<string, unknown>)[op])) {
    return { kind: 'group', id: nodeId(), combinator: op, negated: false, children: args.map(fromLogic) };
  }
  if (op === 'var') {
    const field = variable(logic);
    return field ? condition(field, 'truthy', { kind: 'none' }) : custom(logic);
  }
  if (op === '!!' && args.length === 1) {
    const field = variable(args[0]);
    return field ? condition(field, 'truthy', { kind: 'none' }) : custom(logic);
  }
  if (op === '!' && args.length === 1) {
    const inner = fromLogic(args[0]);
    if (inner.kind === 'group' && !inner.negated) return { ...inner, negated: true };
    if (inner.kind === 'condition' && inner.operator === 'truthy') return { ...inner, operator: 'falsy' };
    if (inner.kind === 'condition' && inner.operator === 'in') return { ...inner, operator: 'not_in' };
    return custom(logic);
  }
  if (COMPARISONS.has(op) && args.length === 2) {
    const field = variable(args[0]);
    if (!field) return custom(logic);
    const right = args[1];
    const other = variable(right);
    if (other && other.fallback === undefined) return condition(field, op as Operator, { kind: 'field', field: other.field });
    if (isScalar(right)) return condition(field, op as Operator, { kind: 'value', value: right });
    return custom(logic);
  }
  if (op === 'in' && args.length === 2) {
    const [left, right] = args;
    const field = variable(left);
    if (field && Array.isArray(right) && right.every(isScalar)) return condition(field, 'in', { kind: 'list', values: right });
    const container = variable(right);
    if (container && typeof left === 'string') return condition(container, 'contains', { kind: 'value', value: left });
    return custom(logic);
  }
  return custom(logic);
}

/**
 * The builder's root for a rule's condition: always a group, so conditions can
 * be added next to what is there. No condition (undefined) is an empty group.
 */
export function rootFromLogic(logic: unknown): GroupNode {
  if (logic === undefined) return emptyGroup();
  const node = fromLogic(logic);
  if (node.kind === 'group') return node;
  return { kind: 'group', id: nodeId(), combinator: 'and', negated: false, children: [node] };
}

function varOf(node: ConditionNode): unknown {
  return node.fallback === undefined ? { var: node.field } : { var: [node.field, node.fallback] };
}

/** One node as JSON-Logic. */
export function toLogic(node: LogicNode): unknown {
  switch (node.kind) {
    case 'custom':
      return node.logic;
    case 'group': {
      const group = { [node.combinator]: node.children.map(toLogic) };
      return node.negated ? { '!': group } : group;
    }
    case 'condition':
      return conditionLogic(node);
  }
}

function operandLogic(operand: Operand): unknown {
  switch (operand.kind) {
    case 'field':
      return { var: operand.field };
    case 'value':
      return operand.value;
    case 'list':
      return operand.values;
    case 'none':
      return null;
  }
}

function conditionLogic(node: ConditionNode): unknown {
  const field = varOf(node);
  switch (node.operator) {
    case 'truthy':
      return field;
    case 'falsy':
      return { '!': field };
    case 'in':
      return { in: [field, node.operand.kind === 'list' ? node.operand.values : [operandLogic(node.operand)]] };
    case 'not_in':
      return { '!': { in: [field, node.operand.kind === 'list' ? node.operand.values : [operandLogic(node.operand)]] } };
    case 'contains':
      return { in: [node.operand.kind === 'value' ? String(node.operand.value ?? '') : '', field] };
    default:
      return { [node.operator]: [field, operandLogic(node.operand)] };
  }
}

/**
 * The root group as a rule's condition: undefined when empty (no condition:
 * always true), the single child alone when the group adds nothing.
 */
export function rootToLogic(root: GroupNode): unknown {
  if (root.children.length === 0) return root.negated ? { '!': { [root.combinator]: [] } } : undefined;
  if (root.children.length === 1 && !root.negated) return toLogic(root.children[0]!);
  return toLogic(root);
}

/** Which operand an operator takes. */
export function operandKindFor(operator: Operator): 'value' | 'list' | 'none' | 'value-or-field' {
  if (operator === 'truthy' || operator === 'falsy') return 'none';
  if (operator === 'in' || operator === 'not_in') return 'list';
  if (operator === 'contains') return 'value';
  return 'value-or-field';
}

/** The operand kept as far as it still fits when the operator changes. */
export function adaptOperand(operand: Operand, operator: Operator): Operand {
  const wanted = operandKindFor(operator);
  if (wanted === 'none') return { kind: 'none' };
  if (wanted === 'list') {
    if (operand.kind === 'list') return operand;
    if (operand.kind === 'value' && operand.value !== null && operand.value !== '') return { kind: 'list', values: [operand.value] };
    return { kind: 'list', values: [] };
  }
  if (operand.kind === 'value') return operand;
  if (operand.kind === 'field' && wanted === 'value-or-field') return operand;
  if (operand.kind === 'list') return { kind: 'value', value: operand.values[0] ?? '' };
  return { kind: 'value', value: '' };
}
